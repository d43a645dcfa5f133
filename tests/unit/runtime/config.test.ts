import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { loadConfig } from '../../../jobs/runtime/config-load.js'
import { ConfigError } from '../../../jobs/core/errors.js'
import { configDir } from '../../helpers/paths.js'
import { settingsFor } from '../../../jobs/runtime/config-schema.js'

test('the shipped config is valid and gives per-metric overrides over defaults', () => {
  const config = loadConfig(configDir)
  assert.equal(settingsFor(config, 'A').aggregation, 'mean')
  assert.equal(settingsFor(config, 'S').horizon, 24)
  assert.equal(settingsFor(config, 'NEW').horizon, config.defaults.horizon)
  assert.ok(Object.isFrozen(config.defaults))
})

test('a bad config lists every bad field with the file it came from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gras-config-'))
  writeFileSync(join(dir, 'a.yaml'), 'defaults:\n  horizon: 0\n  aggregation: median\nunknownKey: 1\n')
  writeFileSync(join(dir, 'b.yaml'), 'metrics:\n  "../etc": {}\n')
  writeFileSync(join(dir, 'c.yaml'), 'lake: [unclosed\n')
  assert.throws(
    () => loadConfig(dir),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      const message = (error as Error).message
      assert.match(message, /a\.yaml: defaults\.horizon/)
      assert.match(message, /a\.yaml: defaults\.aggregation/)
      assert.match(message, /a\.yaml: \(root\): Unrecognized key/)
      assert.match(message, /b\.yaml: metrics\.\.\.\/etc/)
      assert.match(message, /c\.yaml: not valid YAML/)
      return true
    },
  )
})

test('overrides from flags are validated too', () => {
  assert.throws(() => loadConfig(configDir, { dynamodb: { mode: 'cloud' } }), /dynamodb\.mode/)
})

test('historyDays follows the frequency unless a metric or the defaults set it: a daily metric reads two years, not six weeks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gras-config-'))
  writeFileSync(join(dir, 'a.yaml'), 'metrics:\n  DAILY:\n    frequency: daily\n  SHORT:\n    frequency: daily\n    historyDays: 90\n')
  const config = loadConfig(dir)
  assert.equal(settingsFor(config, 'DAILY').historyDays, 730)
  assert.equal(settingsFor(config, 'SHORT').historyDays, 90)
  assert.equal(settingsFor(config, 'HOURLY').historyDays, 42)
  assert.equal(settingsFor(loadConfig(configDir), 'NEW').historyDays, 42)
  writeFileSync(join(dir, 'b.yaml'), 'defaults:\n  historyDays: 100\nhistoryDaysByFrequency:\n  hourly: 14\n  daily: 365\n')
  const explicit = loadConfig(dir)
  assert.equal(settingsFor(explicit, 'DAILY').historyDays, 100)
  assert.equal(settingsFor(explicit, 'SHORT').historyDays, 90)
})

test('dimensions: names of the pattern, not ts or value, unique; each bad one named with its field and file; a series id takes its metric\'s settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gras-config-dims-'))
  writeFileSync(join(dir, 'a.yaml'), 'metrics:\n  D:\n    horizon: 12\n    dimensions: [region, channel]\n  E:\n    dimensions: [Region, ts, "a-b"]\n  F:\n    dimensions: [region, region]\n')
  assert.throws(
    () => loadConfig(dir),
    (error: unknown) => {
      const message = (error as Error).message
      assert.ok(error instanceof ConfigError)
      assert.match(message, /a\.yaml: metrics\.E\.dimensions\.0: dimension name must match/)
      assert.match(message, /a\.yaml: metrics\.E\.dimensions\.1: dimension name "ts" is reserved/)
      assert.match(message, /a\.yaml: metrics\.E\.dimensions\.2: dimension name must match/)
      assert.match(message, /a\.yaml: metrics\.F\.dimensions: dimension names must be unique \(got region, region\)/)
      assert.doesNotMatch(message, /metrics\.D/)
      return true
    },
  )
  writeFileSync(join(dir, 'a.yaml'), 'metrics:\n  D:\n    horizon: 12\n    dimensions: [region, channel]\n')
  const config = loadConfig(dir)
  assert.deepEqual(settingsFor(config, 'D').dimensions, ['region', 'channel'])
  assert.equal(settingsFor(config, 'D~channel=web~region=eu').horizon, 12)
  assert.deepEqual(settingsFor(config, 'G').dimensions, [], 'default: no dimensions')
})
