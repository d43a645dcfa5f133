import { test } from 'node:test'
import assert from 'node:assert/strict'
import { maxReadableSeriesIdChars, metricOfSeries, parseSeriesId, seriesIdOf, seriesIdPattern } from '../../../jobs/core/series-id.js'

test('series id: a metric without dimensions is its own series, so older keys stay valid', () => {
  assert.equal(seriesIdOf('G', {}), 'G')
  assert.deepEqual(parseSeriesId('G'), { metricId: 'G', dimensions: {} })
  assert.equal(metricOfSeries('G'), 'G')
})

test('series id: names sorted, values percent-encoded byte by byte, null and empty the same', () => {
  assert.equal(seriesIdOf('R', { region: 'eu-west', channel: 'web' }), 'R~channel=web~region=eu-west')
  assert.equal(seriesIdOf('R', { channel: 'web', region: 'eu-west' }), 'R~channel=web~region=eu-west')
  // é is C3 A9 in UTF-8; '/', '~', '=', '%' and ' ' are never left as they are.
  assert.equal(seriesIdOf('R', { city: 'Liège/~=% x' }), 'R~city=Li%C3%A8ge%2F%7E%3D%25%20x')
  assert.equal(seriesIdOf('R', { city: null }), 'R~city=')
  assert.equal(seriesIdOf('R', { city: '' }), 'R~city=')
  assert.equal(metricOfSeries('R~channel=web~region=eu-west'), 'R')
})

test('series id: parse is the inverse of seriesIdOf and refuses every non-canonical spelling', () => {
  const values = { region: 'São Paulo', channel: '🛒 app', store: '' }
  const id = seriesIdOf('S_2', values)
  assert.match(id, seriesIdPattern)
  assert.deepEqual(parseSeriesId(id), { metricId: 'S_2', dimensions: values })
  for (const bad of ['R~region=eu~channel=web', 'R~a=1~a=2', 'R~region=%61', 'R~region=%ff', 'R~region=eu west', 'R~Region=eu', 'R~=x', '_neural', 'R~_h=abc']) {
    assert.equal(parseSeriesId(bad), undefined, bad)
  }
})

test('series id: a long id is hashed, stable, distinct, and still names its metric', () => {
  const long = { note: 'x'.repeat(maxReadableSeriesIdChars) }
  const id = seriesIdOf('A', long)
  assert.match(id, /^A~_h=[0-9a-f]{32}$/)
  assert.equal(seriesIdOf('A', { note: 'x'.repeat(maxReadableSeriesIdChars) }), id)
  assert.notEqual(seriesIdOf('A', { note: 'y'.repeat(maxReadableSeriesIdChars) }), id)
  assert.deepEqual(parseSeriesId(id), { metricId: 'A', dimensions: undefined })
  assert.equal(metricOfSeries(id), 'A')
  // The readable form of the same values is past the limit, so it is no canonical id.
  assert.equal(parseSeriesId(`A~note=${'x'.repeat(maxReadableSeriesIdChars)}`), undefined)
})
