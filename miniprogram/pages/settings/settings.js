// Care mode (large text, larger targets), the language (the same switch the service uses), unlinking my
// home and signing out.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const i18n = require('../../lib/i18n')
const { t } = i18n

page({
  data: { titleKey: 'settings.title', me: null, done: '' },
  methods: {
    async fetch() { this.setData({ me: await api.call('me.get') }) },

    toggleCare() {
      wxp.setStorage('gongjian.care', this.data.care ? 'off' : 'on')
      this.refreshCommon()
      this.setData({ done: this.data.care ? t('settings.care_on') : '' })
    },

    async switchLanguage() {
      const next = this.data.locale === 'en' ? 'zh_Hans_CN' : 'en'
      this.clearError()
      try {
        await api.call('me.locale', {}, { locale: next })
        i18n.setLocale(next)
        this.refreshCommon()
      } catch (error) { this.showError(error) }
    },

    async unbind() {
      const answer = await wxp.showModal({ title: t('vote.confirm_title'), content: t('settings.unbind'),
        confirmText: t('common.confirm'), cancelText: t('common.cancel') })
      if (!answer.confirm) return
      try {
        await api.call('binding.remove')
        await this.load()
      } catch (error) { this.showError(error) }
    },

    async signOut() {
      await api.signOut()
      return wxp.redirectTo('/pages/index/index')
    },
  },
})
