// The privacy notice, read and accepted before first use (binding, wishes, ballots and surveys wait for it).
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'privacy.title', notice: null, done: '' },
  methods: {
    async fetch() {
      this.setData({ notice: await api.call('privacy.get') })
    },
    async accept() {
      if (this.data.busy || !this.data.notice) return
      this.setData({ busy: true })
      this.clearError()
      try {
        await api.call('privacy.consent', {}, { version: this.data.notice.version })
        this.setData({ busy: false, done: t('privacy.thanks') })
      } catch (error) { this.showError(error) }
    },
    next() { return wxp.redirectTo('/pages/index/index') },
  },
})
