// Where the service is. The operator sets `base` before uploading; tests point it at a loopback server.
const wxp = require('./wx')

const DEFAULT_BASE = 'https://gongjian.example.cn'

module.exports = {
  base() { return wxp.getStorage('gongjian.base') || DEFAULT_BASE },
  // Subscribe-message templates the service sends (set by the operator with the account's template ids).
  templates() { return wxp.getStorage('gongjian.templates') || [] },
}
