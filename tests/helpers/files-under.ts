/** Every file under `root/dir`, keyed by its path relative to `root`: for comparing two runs' outputs byte for byte. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

export function filesUnder(root: string, dir = '.'): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name)
      if (statSync(child).isDirectory()) walk(child)
      else out.set(relative(root, child), readFileSync(child))
    }
  }
  walk(join(root, dir))
  return out
}
