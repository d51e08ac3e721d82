// One of my wishes and its whole story: what I asked, my photos, where it stands, the committee's answer and
// every step that came of it (merged, answered, surveyed, voted on, made an item of the works, accepted).
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'nav.wishes', wish: null, photos: [], story: [] },
  idFromQuery: true,
  methods: {
    async fetch() {
      const w = await api.call('wishes.get', { wish_id: this.data.id })
      const items = await api.call('catalogue.list')
      const item = items.find((i) => i.code === w.catalogue_code)
      this.setData({ wish: { reference: w.reference, item: item ? item.name : '', text: w.text,
        status: w.status_text || t('wish.status.' + w.status), filed: fmt.dateTime(w.created_at, this.data.locale),
        answer: w.answer, answered: fmt.dateTime(w.answered_at, this.data.locale) },
        story: (w.story || []).map((step, index) => ({ key: index, kind: step.kind, text: step.text,
          at: fmt.dateTime(step.at, this.data.locale) })) })
      // <image> cannot send our token: photos are downloaded, then shown from their temporary paths.
      const photos = []
      for (const name of w.photos || []) photos.push(await api.download('files.get', { name: api.fileName(name) }))
      this.setData({ photos })
    },
    preview() { if (this.data.photos.length) wxp.previewImage(this.data.photos) },
  },
})
