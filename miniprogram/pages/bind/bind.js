// Linking my home: from the stairwell QR code (scene "unit:ID": the compound and unit it names are shown
// first, then room and the phone's last four digits),
// with the committee's one-time code, and WeChat's phone-number button.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const { t } = require('../../lib/i18n')

function unitFromScene(query) {
  const scene = decodeURIComponent((query && (query.scene || query.unit_scene)) || '')
  const match = /^unit:(\d+)$/.exec(scene)
  if (match) return Number(match[1])
  return query && /^\d+$/.test(String(query.unit || '')) ? Number(query.unit) : null
}

page({
  data: { titleKey: 'bind.title', unitId: null, room: '', phoneLast4: '', name: '', code: '', idNumber: '', certificateNo: '', status: '', done: '', me: null, scanned: '' },
  methods: {
    onLoad(query) {
      const kept = this.draft('bind') || {}
      this.setData({ unitId: unitFromScene(query), room: kept.room || '', phoneLast4: kept.phoneLast4 || '',
        name: kept.name || '', code: kept.code || '' })
      return this.load()
    },

    async fetch() {
      const me = await api.call('me.get')
      this.setData({ me, status: me.bound ? t('bind.bound', { place: this.place(me) }) : '' })
      if (this.data.unitId && !me.bound) {
        const unit = await api.call('units.get', { unit_id: this.data.unitId })
        this.setData({ scanned: t('bind.scan_intro', { place: [unit.compound, unit.building, unit.unit].join(' ') }) })
      }
    },

    place(me) { return [me.compound, me.building, me.unit, me.room].filter(Boolean).join(' ') },

    onInput(event) {
      const field = event.currentTarget.dataset.field
      this.setData({ [field]: event.detail.value })
      // The ID and certificate numbers are never kept on the phone: only what a neighbour could see.
      const { room, phoneLast4, name, code } = this.data
      this.keepDraft('bind', { room, phoneLast4, name, code })
    },

    async bindByRoom() {
      if (this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      try {
        const body = { unit_id: this.data.unitId, room: this.data.room.trim(), phone_last4: this.data.phoneLast4.trim() }
        if (this.data.name.trim()) body.name = this.data.name.trim()
        const result = await api.call('binding.room', {}, body)
        this.dropDraft('bind')
        const me = await api.call('me.get')
        const done = result.outcome === 'pending' ? t('bind.pending')
          : result.outcome === 'household' ? t('bind.household') : t('bind.bound', { place: this.place(me) })
        this.setData({ busy: false, me, done })
      } catch (error) { this.showError(error) }
    },

    async bindByCode() {
      if (this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      try {
        const me = await api.call('binding.code', {}, { code: this.data.code.trim() })
        this.dropDraft('bind')
        this.setData({ busy: false, me, done: t('bind.bound', { place: this.place(me) }) })
      } catch (error) { this.showError(error) }
    },

    // Owners are verified by what a neighbour does not know: the ID number and the property certificate number.
    async bindAsOwner() {
      if (this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      try {
        const me = await api.call('binding.owner', {}, { id_number: this.data.idNumber.trim(),
          certificate_no: this.data.certificateNo.trim() })
        this.dropDraft('bind')
        const flats = (me.dwellings || []).map((d) => d.address || d.room).join('、') || this.place(me)
        this.setData({ busy: false, me, idNumber: '', certificateNo: '', done: t('bind.owner_done', { flats }) })
      } catch (error) { this.showError(error) }
    },

    // <button open-type="getPhoneNumber">: WeChat gives a one-time code the service exchanges.
    async onPhoneNumber(event) {
      const code = event.detail && event.detail.code
      if (!code) return
      this.clearError()
      try {
        const me = await api.call('me.phone', {}, { code })
        this.setData({ me, phoneDone: t('bind.phone_done') })
      } catch (error) { this.showError(error) }
    },

    home() { return require('../../lib/wx').redirectTo('/pages/index/index') },
  },
})
