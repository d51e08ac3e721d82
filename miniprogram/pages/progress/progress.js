// My compound's project: its stages, what is being done and how far, funding by source, milestones with
// photos, my view at acceptance, and a problem on site reported with a photo.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const photos = require('../../lib/photos')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'progress.title', project: null, stages: [], items: [], funding: [], milestones: [], report: '', reportPhotos: [], sent: '' },
  methods: {
    onLoad() {
      const kept = this.draft('report') || {}
      this.setData({ report: kept.text || '', reportPhotos: kept.photos || [], viewText: kept.viewText || '' })
      return this.load()
    },

    async fetch() {
      const data = await api.call('project.get')
      const p = data.project
      const locale = this.data.locale
      const names = {}
      ;(await api.call('catalogue.list')).forEach((i) => { names[i.code] = i.name })
      const current = p.stage
      let passed = true
      const stages = (p.stages || []).map((s) => {
        const state = s.stage === current ? 'current' : passed ? 'done' : 'waiting'
        if (s.stage === current) passed = false
        return { stage: s.stage, name: t('stage.' + s.stage), state: t('progress.' + state),
          when: fmt.date(s.actual_start || s.planned_start, locale) }
      })
      this.setData({
        project: { name: p.name, stage: t('stage.' + p.stage), progress: t('progress.percent', { n: data.progress }),
          satisfaction: data.satisfaction === null || data.satisfaction === undefined ? '' : t('progress.satisfaction', { n: data.satisfaction }),
          accepting: p.stage === 'acceptance' },
        stages,
        items: (p.items || []).map((i) => ({ id: i.id, name: names[i.catalogue_code] || i.catalogue_code,
          progress: t('progress.percent', { n: i.progress }) })),
        funding: Object.keys(data.funding || {}).map((source) => ({ source, name: t('funding.' + source),
          amount: t('progress.yuan', { amount: fmt.yuan(data.funding[source]) }) })),
        milestones: (data.milestones || []).map((m) => ({ id: m.id, title: m.title, text: m.text,
          at: fmt.dateTime(m.at, locale), photos: [], names: m.photos || [] })),
      })
      await this.loadPhotos()
    },

    // Milestone photos need our token: downloaded, then shown from their temporary paths.
    async loadPhotos() {
      const milestones = this.data.milestones
      for (const m of milestones) {
        m.photos = []
        for (const name of m.names) m.photos.push(await api.download('files.get', { name: api.fileName(name) }))
      }
      this.setData({ milestones })
    },

    remember() {
      this.keepDraft('report', { text: this.data.report, photos: this.data.reportPhotos, viewText: this.data.viewText })
    },
    onReport(event) { this.setData({ report: event.detail.value }); this.remember() },
    onViewText(event) { this.setData({ viewText: event.detail.value }); this.remember() },

    // One photo of the problem; the service checks its size when the report is sent.
    async addPhoto() {
      const files = await photos.pick(1)
      if (!files) return
      this.setData({ reportPhotos: files.slice(0, 1).map((f) => f.tempFilePath) })
      this.remember()
    },

    // Where the problem is, when the resident allows it (WeChat asks once).
    async addLocation() {
      try {
        const here = await wxp.getLocation()
        this.setData({ location: { latitude: here.latitude, longitude: here.longitude } })
      } catch (e) { /* refused: the report goes without a place */ }
    },

    async sendReport() {
      if (this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      try {
        const body = { text: this.data.report.trim(), kind: 'report' }
        if (this.data.location) Object.assign(body, this.data.location)
        await api.call('reports.create', {}, body, this.data.reportPhotos)
        this.setData({ busy: false, report: '', reportPhotos: [], sent: t('progress.report_sent') })
        this.remember()
      } catch (error) { this.showError(error) }
    },

    async sendView(event) {
      if (this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      try {
        await api.call('project.view', {}, { verdict: event.currentTarget.dataset.verdict, text: this.data.viewText || '' },
          this.data.reportPhotos)
        this.setData({ busy: false, sent: t('progress.view_sent') })
      } catch (error) { this.showError(error) }
    },

    preview(event) { wxp.previewImage([event.currentTarget.dataset.src]) },
  },
})
