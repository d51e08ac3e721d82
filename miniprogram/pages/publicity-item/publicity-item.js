// One published record: what is published, the time left, every objection and the committee's answer (no
// names), and my own objection with words and photos (kept as a draft until the service has all of it).
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const { photoButtons } = require('../../lib/photos')
const { t, countdown } = require('../../lib/i18n')

page({
  data: { titleKey: 'publicity.title', period: null, objections: [], text: '', photos: [], objectionId: null,
    uploaded: 0, sent: '' },
  methods: Object.assign({
    onLoad(query) {
      const id = Number(query.id)
      const kept = this.draft('objection.' + id) || {}
      this.setData({ id, text: kept.text || '', photos: kept.photos || [], objectionId: kept.objectionId || null,
        uploaded: kept.uploaded || 0 })
      return this.load()
    },

    async fetch() {
      const p = await api.call('publicity.get', { publicity_id: this.data.id })
      const locale = this.data.locale
      this.setData({
        period: { title: p.title, summary: p.summary, kind: t('publicity.kind.' + p.subject_kind),
          left: countdown(p.seconds_left), open: p.state === 'open' && p.seconds_left > 0,
          until: t('publicity.until', { when: fmt.dateTime(p.ends_at, locale) }),
          extended: p.extensions ? t('publicity.extended', { n: p.extensions }) : '',
          vote: p.subject_kind === 'vote_result' ? '/pages/vote/vote?id=' + p.subject_id : '' },
        objections: (p.objections || []).map((o, i) => ({ id: o.id, n: i + 1, text: o.text,
          photos: (o.photos || []).length ? t('publicity.photos', { n: o.photos.length }) : '',
          at: fmt.dateTime(o.created_at, locale), answer: o.answer || '',
          answered: o.answer ? fmt.dateTime(o.answered_at, locale) : '' })),
      })
    },

    remember() {
      const { text, photos, objectionId, uploaded } = this.data
      this.keepDraft('objection.' + this.data.id, { text, photos, objectionId, uploaded })
    },

    onText(event) {
      this.setData({ text: event.detail.value })
      this.remember()
    },

    // The words and the first photo make the objection; further photos follow it one by one
    // (wx.uploadFile carries one file). A failure half way resumes where it stopped.
    async submit() {
      if (this.data.busy) return
      if (!this.data.text.trim() && !this.data.objectionId) {
        this.setData({ fieldErrors: { text: t('publicity.empty') } })
        return
      }
      this.setData({ busy: true })
      this.clearError()
      try {
        let uploaded = this.data.uploaded
        if (!this.data.objectionId) {
          const first = this.data.photos.slice(0, 1)
          const made = await api.call('publicity.object', { publicity_id: this.data.id }, { text: this.data.text.trim() }, first)
          uploaded = first.length
          this.setData({ objectionId: made.id, uploaded })
          this.remember()
        }
        for (const photo of this.data.photos.slice(uploaded)) {
          await api.call('publicity.objection_photo', { objection_id: this.data.objectionId }, {}, [photo])
          uploaded += 1
          this.setData({ uploaded })
          this.remember()
        }
        this.dropDraft('objection.' + this.data.id)
        this.setData({ busy: false, text: '', photos: [], objectionId: null, uploaded: 0, sent: t('publicity.sent') })
        await this.load()
      } catch (error) { this.showError(error) }
    },

    openVote() { if (this.data.period && this.data.period.vote) wxp.navigateTo(this.data.period.vote) },
  }, photoButtons),
})
