// Making a wish: an item from the catalogue (three classes, in words residents use) or my own words,
// and up to three photos. What is typed and chosen is kept as a draft until the service has it.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const subscribe = require('../../lib/subscribe')
const { photoButtons } = require('../../lib/photos')
const { t } = require('../../lib/i18n')

const CLASSES = ['basic', 'improvement', 'enhancement']

page({
  data: { titleKey: 'wish.title', classes: [], code: '', chosenName: '', text: '', photos: [], wishId: null, sent: '' },
  methods: Object.assign({
    onLoad() {
      const kept = this.draft('wish') || {}
      this.setData({ code: kept.code || '', text: kept.text || '', photos: kept.photos || [], wishId: kept.wishId || null,
        uploaded: kept.uploaded || 0 })
      return this.load()
    },

    async fetch() {
      const items = await api.call('catalogue.list')
      const classes = CLASSES.map((cls) => ({ cls, label: t('wish.class.' + cls),
        items: items.filter((i) => i.class === cls).map((i) => ({ code: i.code, name: i.name })) }))
      const chosen = items.find((i) => i.code === this.data.code)
      this.setData({ classes, chosenName: chosen ? chosen.name : '' })
    },

    remember() {
      const { code, text, photos, wishId, uploaded } = this.data
      this.keepDraft('wish', { code, text, photos, wishId, uploaded })
    },

    pick(event) {
      const { code, name } = event.currentTarget.dataset
      const same = this.data.code === code
      this.setData({ code: same ? '' : code, chosenName: same ? '' : name })
      this.remember()
    },

    onText(event) {
      this.setData({ text: event.detail.value })
      this.remember()
    },

    async submit() {
      if (this.data.busy) return
      if (!this.data.code && !this.data.text.trim() && !this.data.wishId) {
        this.setData({ error: { text: t('wish.nothing'), next: t('error.422.next'), action: 'none' } })
        return
      }
      this.setData({ busy: true })
      this.clearError()
      try {
        let wish
        let uploaded = this.data.uploaded || 0
        if (!this.data.wishId) {
          const body = { text: this.data.text.trim() }
          if (this.data.code) body.catalogue_code = this.data.code
          const first = this.data.photos.slice(0, 1)
          wish = await api.call('wishes.create', {}, body, first)
          uploaded = first.length
          this.setData({ wishId: wish.id, reference: wish.reference, uploaded })
          this.remember()
        }
        // wx.uploadFile carries one file: the rest follow one by one, and a retry sends only what is left.
        for (const photo of this.data.photos.slice(uploaded)) {
          wish = await api.call('wishes.photo', { wish_id: this.data.wishId }, {}, [photo])
          uploaded += 1
          this.setData({ uploaded })
          this.remember()
        }
        this.dropDraft('wish')
        this.setData({ busy: false, sent: t('wish.sent', { reference: this.data.reference || (wish && wish.reference) }) })
        await subscribe.askAndReport()
      } catch (error) { this.showError(error) }
    },

    myWishes() { return wxp.redirectTo('/pages/wishes/wishes') },
  }, photoButtons),
})
