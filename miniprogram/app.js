// The residents' mini-program. State lives in lib/ (storage-backed), not in the App object, so every
// page can be loaded on its own (from a notice, a poster's QR code or the official account's menu).
const api = require('./lib/api')

App({ // eslint-disable-line no-undef
  onLaunch() {
    // Sign in early; a page that needs the token waits for the same sign-in.
    api.signIn().catch(() => { /* each page shows its own error with a next step */ })
  },
})
