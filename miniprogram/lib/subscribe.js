// Subscribe-message consent, asked at the moments it matters (after casting, after filing a wish) and
// reported to the service's subscription ledger: each "accept" allows the service one message.
const wxp = require('./wx')
const api = require('./api')
const config = require('./config')

async function askAndReport() {
  const templates = config.templates()
  if (!templates.length) return null
  let answer
  try {
    answer = await wxp.requestSubscribeMessage({ tmplIds: templates.slice(0, 3) })
  } catch (e) {
    return null // the resident closed the dialog, or turned subscriptions off: nothing to report
  }
  const results = {}
  templates.slice(0, 3).forEach((id) => { if (answer[id]) results[id] = answer[id] })
  if (!Object.keys(results).length) return null
  try {
    await api.call('subscriptions.report', {}, { results })
  } catch (e) {
    return null // the ledger is told next time; nothing the resident must do
  }
  return results
}

module.exports = { askAndReport }
