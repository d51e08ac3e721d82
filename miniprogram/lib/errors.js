// Every failure as a sentence the resident understands, with one next step.
const { t } = require('./i18n')

// The words on the error box's one button, for what it does (none: no button, the next step is on the page).
const BUTTONS = { retry: 'common.retry', reload: 'common.retry', bind: 'nav.bind', privacy: 'privacy.title',
  back: 'common.back' }

// -> { text, next, action, button }; action is what the page's one button does: retry, bind, privacy, back,
// reload; button is what it says, so a button never says "Try again" and then goes back.
function describe(error) {
  const described = sentence(error)
  const key = BUTTONS[described.action]
  return Object.assign(described, { button: key ? t(key) : '' })
}

function sentence(error) {
  const status = error && error.status
  if (!error || error.network || status === 0) {
    return { text: t('error.network'), next: t('error.network.next'), action: 'retry' }
  }
  const said = error.serverMessage
  if (status === 401) return { text: t('error.401'), next: t('error.401.next'), action: 'retry' }
  if (status === 403) {
    if (String(error.code).startsWith('privacy.')) {
      return { text: said || t('error.403.privacy'), next: t('error.403.privacy'), action: 'privacy' }
    }
    return { text: said || t('error.403'), next: t('error.403.next'), action: 'bind' }
  }
  if (status === 404) return { text: t('error.404'), next: t('error.404.next'), action: 'back' }
  if (status === 409) return { text: said || t('error.409'), next: t('error.409.next'), action: 'reload' }
  if (status === 413) return { text: t('error.413'), next: t('error.413.next'), action: 'none' }
  if (status === 422) {
    const loose = (error.details || []).filter((d) => !d.field).map((d) => d.message)
    return { text: loose.length ? loose.join(' ') : (said || t('error.422')), next: t('error.422.next'), action: 'none' }
  }
  if (status === 429) return { text: t('error.429'), next: t('error.429.next'), action: 'retry' }
  // Received, but not finished now (a ballot whose receipt is not ready): sending again is not the next step.
  if (status === 503 && said) return { text: said, next: t('error.503.next'), action: 'reload' }
  return { text: t('error.other'), next: t('error.other.next'), action: 'retry' }
}

// Field -> the service's message for it (422 details), to show next to the field.
function fieldErrors(error) {
  const result = {}
  ;((error && error.details) || []).forEach((d) => {
    if (d.field) result[d.field] = result[d.field] ? result[d.field] + ' ' + d.message : d.message
  })
  return result
}

module.exports = { describe, fieldErrors }
