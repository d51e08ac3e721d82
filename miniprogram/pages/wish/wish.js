// One of my wishes: what I asked, my photos, where it stands and the committee's answer.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'nav.wishes', wish: null, photos: [] },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query.id) })
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const w = await api.call('wishes.get', { wish_id: this.data.id })
        const items = await api.call('catalogue.list')
        const item = items.find((i) => i.code === w.catalogue_code)
        this.setData({ wish: { reference: w.reference, item: item ? item.name : '', text: w.text,
          status: t('wish.status.' + w.status), filed: fmt.dateTime(w.created_at, this.data.locale),
          answer: w.answer, answered: fmt.dateTime(w.answered_at, this.data.locale) } })
        // <image> cannot send our token: photos are downloaded, then shown from their temporary paths.
        const photos = []
        for (const name of w.photos || []) photos.push(await api.download('files.get', { name: api.fileName(name) }))
        this.setData({ photos })
      } catch (error) { this.showError(error) }
    },
    preview() { if (this.data.photos.length) wxp.previewImage(this.data.photos) },
  },
})
