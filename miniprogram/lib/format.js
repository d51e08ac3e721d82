// Times as a notice board writes them, in Beijing time whatever the phone's zone: 12月2日（周二）上午9:00.
const BEIJING_OFFSET_MS = 8 * 3600 * 1000
const WEEKDAYS_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']
const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function parts(value) {
  if (!value) return null
  // The service answers in UTC; a time without a zone is UTC too.
  const text = String(value)
  const aware = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || text.length <= 10 ? text : text + 'Z'
  const ms = Date.parse(aware)
  if (Number.isNaN(ms)) return null
  const d = new Date(ms + BEIJING_OFFSET_MS)
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes() }
}

function pad(n) { return n < 10 ? '0' + n : String(n) }

function dateTime(value, locale) {
  const p = parts(value)
  if (!p) return ''
  if (locale === 'en') {
    return `${WEEKDAYS_EN[p.weekday]} ${p.day} ${MONTHS_EN[p.month - 1]}, ${p.hour}:${pad(p.minute)} (Beijing)`
  }
  const noon = p.hour < 12 ? '上午' : (p.hour < 18 ? '下午' : '晚上')
  const hour12 = p.hour <= 12 ? p.hour : p.hour - 12
  return `${p.month}月${p.day}日（${WEEKDAYS_ZH[p.weekday]}）${noon}${hour12}:${pad(p.minute)}`
}

function date(value, locale) {
  const p = parts(value)
  if (!p) return ''
  if (locale === 'en') return `${p.day} ${MONTHS_EN[p.month - 1]} ${p.year}`
  return `${p.year}年${p.month}月${p.day}日`
}

// Whole days left until `value` (0 on the last day), for countdowns.
function daysLeft(value, now) {
  const end = parts(value)
  const today = parts(new Date(now === undefined ? Date.now() : now).toISOString())
  if (!end || !today) return null
  const a = Date.UTC(end.year, end.month - 1, end.day)
  const b = Date.UTC(today.year, today.month - 1, today.day)
  return Math.max(0, Math.round((a - b) / 86400000))
}

// A countdown from the service's seconds left: whole days and hours (over once nothing is left).
function countdown(seconds) {
  const s = Math.max(0, Math.trunc(Number(seconds) || 0))
  return { over: s === 0, days: Math.floor(s / 86400), hours: Math.floor((s % 86400) / 3600) }
}

// Money is kept in fen (integers); shown in yuan with two decimals, no floating point.
function yuan(fen) {
  const n = Math.trunc(Number(fen) || 0)
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}${whole}.${pad(abs % 100)}`
}

// Full-width digits and the full stop typed by a Chinese keyboard, as ASCII.
function ascii(text) {
  return String(text === undefined || text === null ? '' : text).trim()
    .replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48)).replace(/[。．]/g, '.')
}

// Yuan as typed ("500", "500.5", "1,000.05") -> fen as an integer, without floating point; null if not money.
function fen(text) {
  const clean = ascii(text).replace(/[,，]/g, '')
  const match = /^(\d{1,10})(?:\.(\d{0,2}))?$/.exec(clean)
  if (!match) return null
  return Number(match[1]) * 100 + Number(((match[2] || '') + '00').slice(0, 2))
}

// A whole number as typed, or null.
function whole(text) {
  const clean = ascii(text)
  return /^\d{1,9}$/.test(clean) ? Number(clean) : null
}

module.exports = { dateTime, date, daysLeft, countdown, yuan, fen, whole }
