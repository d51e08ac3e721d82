const fmt = require('../../lib/format')
const conditions = require('../../lib/conditions')

test('times are Beijing time as a notice board writes them, never seconds', () => {
  expect(fmt.dateTime('2026-12-02T01:00:00', 'zh_Hans_CN')).toBe('12月2日（周三）上午9:00')
  expect(fmt.dateTime('2026-12-02T01:00:00+00:00', 'zh_Hans_CN')).toBe('12月2日（周三）上午9:00')
  expect(fmt.dateTime('2026-12-02T07:30:00Z', 'zh_Hans_CN')).toBe('12月2日（周三）下午3:30')
  expect(fmt.dateTime('2026-12-01T20:21:00Z', 'en')).toBe('Wed 2 Dec, 4:21 (Beijing)')
  expect(fmt.dateTime(null)).toBe('')
})

test('money in fen is shown in yuan exactly', () => {
  expect(fmt.yuan(50000000)).toBe('500,000.00')
  expect(fmt.yuan(1)).toBe('0.01')
  expect(fmt.yuan(-250)).toBe('-2.50')
})

test('publicity countdown counts Beijing days', () => {
  expect(fmt.daysLeft('2026-12-10T15:59:00Z', Date.parse('2026-12-02T16:30:00Z'))).toBe(7)
})

test('conditions match the service\'s engine: all/any, contains, other answers', () => {
  const definition = { sections: [{ questions: [
    { id: 'a', type: 'single' }, { id: 'b', type: 'multiple' },
    { id: 'c', type: 'text', show_if: { all: [{ question: 'a', op: 'equals', value: 'x' }, { question: 'b', op: 'contains', value: 'k' }] } },
    { id: 'd', type: 'text', show_if: { any: [{ question: 'a', op: 'not_equals', value: 'x' }, { question: 'c', op: 'answered' }] } },
  ] }] }
  expect([...conditions.apply(definition, { a: 'x', b: ['k'] }).visible]).toEqual(['a', 'b', 'c'])
  expect([...conditions.apply(definition, { a: { choice: '__other__', text: 'y' } }).visible]).toEqual(['a', 'b', 'd'])
  expect(conditions.apply(definition, { a: 'y', c: 'hidden text' }).clean).toEqual({ a: 'y' })
})
