// A failure said in one sentence, with one next step and one button (role="alert" for screen readers).
Component({ // eslint-disable-line no-undef
  properties: {
    error: { type: Object, value: null },
    button: { type: String, value: '' },
    care: { type: Boolean, value: false },
  },
  methods: {
    onTap() { this.triggerEvent('action', { action: this.data.error && this.data.error.action }) },
  },
})
