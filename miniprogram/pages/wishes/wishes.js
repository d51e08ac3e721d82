// My wishes, newest first, each with where it stands.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'nav.wishes', wishes: [], loaded: false },
  methods: {
    async fetch() {
      const [wishes, items] = await Promise.all([api.call('wishes.list'), api.call('catalogue.list')])
      const names = {}
      items.forEach((i) => { names[i.code] = i.name })
      this.setData({ loaded: true, wishes: wishes.map((w) => ({ id: w.id, reference: w.reference,
        what: names[w.catalogue_code] || '', text: w.text, status: t('wish.status.' + w.status),
        when: fmt.dateTime(w.created_at, this.data.locale), answered: Boolean(w.answer) })) })
    },
  },
})
