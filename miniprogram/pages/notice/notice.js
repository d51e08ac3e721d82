// One notice in full, opened from the inbox or from a push (pages/notice/notice?id=N); marked read.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'inbox.title', notice: null },
  idFromQuery: true,
  methods: {
    async fetch() {
      const notices = await api.call('inbox.list')
      const id = this.data.id
      // A push names the notice; the inbox lists my deliveries of notices. Match on the notice when the
      // inbox says which it is, never on a delivery that merely has the same number.
      const byNotice = notices.some((item) => item.notice_id !== undefined)
      const n = notices.find((item) => (byNotice ? item.notice_id === id : item.id === id))
      if (!n) {
        this.setData({ error: { text: t('notice.missing'), next: t('error.404.next'), action: 'back' } })
        return
      }
      this.setData({ notice: { title: n.title, body: n.body, when: fmt.dateTime(n.created_at, this.data.locale) } })
      if (!n.read) await api.call('inbox.read', { delivery_id: n.id })
    },
  },
})
