// My notices, newest first; unread ones say so in words.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const fmt = require('../../lib/format')

page({
  data: { titleKey: 'inbox.title', notices: [], loaded: false },
  reloadOnShow: true,
  methods: {
    async fetch() {
      const notices = await api.call('inbox.list')
      this.setData({ loaded: true, notices: notices.map((n) => ({ id: n.id, title: n.title, read: n.read,
        when: fmt.dateTime(n.created_at, this.data.locale) })) })
    },
  },
})
