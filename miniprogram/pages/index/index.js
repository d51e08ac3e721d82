// Home: my flat and compound, what is open for me (votes, surveys, publicity taking objections), the latest
// notices, the project's stage.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const i18n = require('../../lib/i18n')

const { t } = i18n

page({
  data: { titleKey: 'app.name', loaded: false, me: null, place: '', votes: [], surveys: [], publicity: [], notices: [], stage: '' },
  reloadOnShow: true,
  methods: {
    async fetch() {
      const me = await api.call('me.get')
      // The language follows the account's (set in chat or here); the phone remembers it for the next start.
      if (me.locale && me.locale !== i18n.locale()) {
        i18n.setLocale(me.locale)
        this.refreshCommon()
      }
      // First use: the privacy notice comes before anything else.
      if (me.privacy_consented === false) {
        this.setData({ me, loaded: true, needsConsent: true })
        await wxp.navigateTo('/pages/privacy/privacy')
        return
      }
      const place = me.bound ? [me.compound, me.building, me.unit, me.room].filter(Boolean).join(' ') : ''
      this.setData({ me, place, needsConsent: false, role: me.kind === 'owner' ? t('home.owner') : t('home.household') })
      if (!me.bound) { this.setData({ loaded: true }); return }
      const [votes, surveys, publicity, notices, project] = await Promise.all([
        api.call('votes.list'), api.call('surveys.list'), api.call('publicity.list'), api.call('inbox.list'),
        api.call('project.get').catch((error) => { if (error.status === 404) return null; throw error }),
      ])
      this.setData({
        loaded: true,
        votes: votes.map((v) => ({ id: v.id, title: v.title, until: t('home.until', { when: fmt.dateTime(v.closes_at, this.data.locale) }) })),
        surveys: surveys.map((s) => ({ id: s.id, title: s.title, until: t('home.until', { when: fmt.dateTime(s.closes_at, this.data.locale) }) })),
        publicity: publicity.map((p) => ({ id: p.id, title: p.title, left: i18n.countdown(p.seconds_left) })),
        notices: notices.slice(0, 3).map((n) => ({ id: n.id, title: n.title, read: n.read, when: fmt.dateTime(n.created_at, this.data.locale) })),
        stage: project && project.project ? t('stage.' + project.project.stage) : '',
      })
    },
  },
})
