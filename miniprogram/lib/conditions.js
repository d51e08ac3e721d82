// Which survey questions are shown, as the service's engine decides it (surveys/engine.py `shown`):
// conditions read the answers to earlier, visible questions only.
const OTHER = '__other__'

function empty(answer) {
  return answer === undefined || answer === null || answer === '' ||
    (Array.isArray(answer) && !answer.length) ||
    (typeof answer === 'object' && !Array.isArray(answer) && !Object.keys(answer).length)
}

function value(answer) {
  return answer && typeof answer === 'object' && !Array.isArray(answer) && 'choice' in answer ? answer.choice : answer
}

function shown(condition, answers) {
  if (!condition) return true
  if (condition.all) return condition.all.every((part) => shown(part, answers))
  if (condition.any) return condition.any.some((part) => shown(part, answers))
  const answer = answers[condition.question]
  switch (condition.op) {
    case 'answered': return !empty(answer)
    case 'equals': return value(answer) === condition.value
    case 'not_equals': return answer !== undefined && answer !== null && value(answer) !== condition.value
    case 'contains': return Array.isArray(answer) && answer.includes(condition.value)
    default: return false
  }
}

function questions(definition) {
  return ((definition && definition.sections) || []).reduce((all, s) => all.concat(s.questions || []), [])
}

// -> { visible: Set of ids, clean: answers to visible questions only (what the service accepts) }
function apply(definition, answers) {
  const clean = {}
  const visible = new Set()
  questions(definition).forEach((q) => {
    if (!shown(q.show_if, clean)) return
    visible.add(q.id)
    if (!empty(answers[q.id])) clean[q.id] = answers[q.id]
  })
  return { visible, clean }
}

module.exports = { apply, shown, questions, empty, OTHER }
