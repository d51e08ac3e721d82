// Answering a survey: every question type the engine has, conditions applied as the resident answers,
// a draft kept on the phone at every change and on the service on "save", the service's message for
// each question shown under it.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const conditions = require('../../lib/conditions')
const fmt = require('../../lib/format')
const photos = require('../../lib/photos')
const { t } = require('../../lib/i18n')

const OTHER = conditions.OTHER

page({
  data: { titleKey: 'survey.title', survey: null, sections: [], answers: {}, raw: {}, shown: {}, done: '' },
  idFromQuery: true,
  methods: {
    async fetch() {
      const surveys = await api.call('surveys.list')
      const survey = surveys.find((s) => s.id === this.data.id)
      if (!survey) { this.showError({ status: 404 }); return }
      const needsCatalogue = conditions.questions(survey.definition).some((q) => q.type === 'catalogue')
      const catalogue = needsCatalogue ? await api.call('catalogue.list') : []
      let answers = {}
      let submitted = false
      try {
        const saved = await api.call('surveys.response', { survey_id: survey.id })
        answers = saved.answers || {}
        submitted = saved.submitted
      } catch (error) { if (error.status !== 404) throw error }
      const kept = this.draft('survey.' + survey.id)
      if (kept && kept.answers) answers = kept.answers // what was typed here last wins over the older copy
      this.setData({ definition: survey.definition, catalogue, survey: { title: survey.title, until: t('home.until', { when: fmt.dateTime(survey.closes_at, this.data.locale) }) },
        answers, raw: (kept && kept.raw) || {}, submitted })
      this.build()
      await this.showStored()
    },

    // Photos I gave earlier are the service's: downloaded with my token (an <image> cannot send it) and
    // shown from their temporary path. One that cannot be fetched keeps its label only.
    async showStored() {
      const photoIds = conditions.questions(this.data.definition).filter((q) => q.type === 'photo').map((q) => q.id)
      const names = [].concat(...photoIds.map((id) => (Array.isArray(this.data.answers[id]) ? this.data.answers[id] : [])))
      const missing = names.filter((name) => !this.data.shown[name])
      if (!missing.length) return
      const shown = Object.assign({}, this.data.shown)
      for (const name of missing) {
        try {
          shown[name] = await api.download('files.get', { name })
        } catch (error) { /* the label says which photo it is */ }
      }
      this.setData({ shown })
      this.build()
    },

    // Questions as the page shows them: visible ones only, each with its state for WXML.
    build() {
      const answers = this.data.answers
      const { visible } = conditions.apply(this.data.definition, answers)
      const errors = this.data.fieldErrors || {}
      const sections = (this.data.definition.sections || []).map((s) => ({ id: s.id, title: s.title,
        questions: (s.questions || []).filter((q) => visible.has(q.id)).map((q) => this.view(q, answers[q.id], errors[q.id])) }))
        .filter((s) => s.questions.length)
      this.setData({ sections })
    },

    view(q, answer, error) {
      const options = q.type === 'catalogue' ? this.data.catalogue.map((i) => ({ id: i.code, label: i.name }))
        : (q.options || []).map((o) => ({ id: o.id, label: o.label }))
      const chosen = (id) => (Array.isArray(answer) ? answer.includes(id) : conditions.OTHER === id
        ? Boolean(answer && answer.choice === OTHER) : answer === id)
      let ranking = []
      if (q.type === 'ranking') {
        const order = Array.isArray(answer) && answer.length === options.length ? answer : options.map((o) => o.id)
        ranking = order.map((id, index) => ({ id, index, label: (options.find((o) => o.id === id) || {}).label }))
      }
      return {
        id: q.id, type: q.type, title: q.title, required: Boolean(q.required), error: error || '',
        unit: q.unit ? t('survey.number_unit', { unit: q.unit }) : '',
        options: options.map((o) => ({ id: o.id, label: o.label, chosen: chosen(o.id) })),
        other: Boolean(q.other), otherChosen: Boolean(answer && answer.choice === OTHER),
        otherText: answer && answer.choice === OTHER ? answer.text : '',
        ratings: [1, 2, 3, 4, 5].map((n) => ({ n, label: t('survey.rating', { n }), chosen: answer === n })),
        rows: (q.rows || []).map((r) => ({ id: r.id, label: r.label,
          scale: (q.scale || []).map((s) => ({ id: s.id, label: s.label, chosen: Boolean(answer && answer[r.id] === s.id) })) })),
        ranking,
        text: typeof answer === 'string' ? answer : '',
        photos: (Array.isArray(answer) && q.type === 'photo' ? answer : []).map((name, index) => ({ name, index,
          src: (this.data.shown || {})[name] || '', label: t('wish.photo_n', { n: index + 1 }) })),
        canAddPhoto: q.type === 'photo' && (!Array.isArray(answer) || answer.length < photos.MAX_PHOTOS),
        number: this.data.raw[q.id] !== undefined ? this.data.raw[q.id] : (typeof answer === 'number' ? String(answer) : ''),
      }
    },

    question(id) { return conditions.questions(this.data.definition).find((q) => q.id === id) },

    setAnswer(qid, answer, raw) {
      const answers = Object.assign({}, this.data.answers, { [qid]: answer })
      const rawAll = Object.assign({}, this.data.raw)
      if (raw !== undefined) rawAll[qid] = raw
      const fieldErrors = Object.assign({}, this.data.fieldErrors)
      delete fieldErrors[qid]
      this.setData({ answers, raw: rawAll, fieldErrors, done: '' })
      this.keepDraft('survey.' + this.data.id, { answers, raw: rawAll })
      this.build()
    },

    choose(event) {
      const { qid, option } = event.currentTarget.dataset
      const q = this.question(qid)
      const answer = this.data.answers[qid]
      if (q.type === 'single') {
        this.setAnswer(qid, option === OTHER ? { choice: OTHER, text: (answer && answer.text) || '' } : option)
      } else {
        const list = Array.isArray(answer) ? answer.slice() : []
        const at = list.indexOf(option)
        if (at >= 0) list.splice(at, 1); else list.push(option)
        this.setAnswer(qid, list)
      }
    },

    otherText(event) {
      this.setAnswer(event.currentTarget.dataset.qid, { choice: OTHER, text: event.detail.value })
    },

    rate(event) {
      this.setAnswer(event.currentTarget.dataset.qid, Number(event.currentTarget.dataset.n))
    },

    cell(event) {
      const { qid, row, option } = event.currentTarget.dataset
      this.setAnswer(qid, Object.assign({}, this.data.answers[qid] || {}, { [row]: option }))
    },

    moveUp(event) {
      const { qid } = event.currentTarget.dataset
      const index = Number(event.currentTarget.dataset.index)
      const order = this.view(this.question(qid), this.data.answers[qid]).ranking.map((r) => r.id)
      if (index > 0) [order[index - 1], order[index]] = [order[index], order[index - 1]]
      this.setAnswer(qid, order)
    },

    typeText(event) {
      this.setAnswer(event.currentTarget.dataset.qid, event.detail.value)
    },

    // Numbers stay as typed on screen; the answer is the number when it reads as one.
    typeNumber(event) {
      const raw = event.detail.value
      const cleaned = String(raw).replace(/[，,\s]/g, '').replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
      const parsed = cleaned === '' ? null : Number(cleaned)
      this.setAnswer(event.currentTarget.dataset.qid, Number.isFinite(parsed) ? parsed : (cleaned === '' ? null : cleaned), raw)
    },

    // A photo question: chosen with wx.chooseMedia, only photos the service accepts (2 MB, three at most),
    // each uploaded at once; the answer lists the names the service gave them.
    async addPhoto(event) {
      const { qid } = event.currentTarget.dataset
      const given = Array.isArray(this.data.answers[qid]) ? this.data.answers[qid] : []
      if (this.data.busy || given.length >= photos.MAX_PHOTOS) return
      this.clearError()
      const chosen = await photos.choose(photos.MAX_PHOTOS - given.length)
      if (!chosen) return
      this.setData({ busy: true })
      const names = given.slice()
      try {
        for (const path of chosen.paths) {
          const stored = await api.call('surveys.photo', { survey_id: this.data.id }, {}, [path])
          const shown = Object.assign({}, this.data.shown)
          stored.photos.forEach((name) => { names.push(name); shown[name] = path })
          // Each photo the service took is in the answer (and the draft) at once: a failure later keeps it.
          this.setData({ shown })
          this.setAnswer(qid, names.slice())
        }
        this.setData({ busy: false })
      } catch (error) {
        // The service's word on the photo (its type, its size) is shown under the question it answers.
        const fields = this.showError(error)
        if (fields.photos) this.setData({ fieldErrors: Object.assign({}, this.data.fieldErrors, { [qid]: fields.photos }) })
        this.build()
        return
      }
      if (chosen.tooLarge) {
        this.setData({ fieldErrors: Object.assign({}, this.data.fieldErrors, { [qid]: t('wish.photo_too_large') }) })
        this.build()
      }
    },

    removePhoto(event) {
      const { qid } = event.currentTarget.dataset
      const index = Number(event.currentTarget.dataset.index)
      this.setAnswer(qid, (this.data.answers[qid] || []).filter((_n, i) => i !== index))
    },

    save() { return this.send(false) },
    submit() { return this.send(true) },

    async send(submit) {
      if (this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      const { clean } = conditions.apply(this.data.definition, this.data.answers)
      try {
        const saved = await api.call('surveys.answer', { survey_id: this.data.id }, { answers: clean, submit })
        this.dropDraft('survey.' + this.data.id)
        this.setData({ busy: false, submitted: saved.submitted, done: submit ? t('survey.submitted') : t('survey.saved') })
      } catch (error) {
        const fields = this.showError(error)
        const count = Object.keys(fields).length
        if (count) this.setData({ error: { text: t('survey.fix', { n: count }), next: t('error.422.next'), action: 'none' } })
      }
      this.build()
    },
  },
})
