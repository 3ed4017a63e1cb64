// Cross-check of internal/iampolicy's decisions with @cloud-copilot/iam-simulate, an independent IAM
// simulator (AGPL-3.0: used only here, at test time, from a directory outside the repository; never shipped).
//
//   node iamsim.mjs <dir holding node_modules/@cloud-copilot/iam-simulate> <cases.json>
//
// cases.json is a list of {principal, action, resource, context, identity: [policy...], resourcePolicy}; the
// output is one line of JSON per case: {"result": "Allowed"|"ImplicitlyDenied"|"ExplicitlyDenied"} or
// {"error": "..."} when the simulator rejects the request (for instance an action that does not apply to
// that resource type).
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [dir, casesPath] = process.argv.slice(2)
const require = createRequire(join(dir, 'package.json'))
const { runSimulation } = await import(pathToFileURL(require.resolve('@cloud-copilot/iam-simulate')).href)
const cases = JSON.parse(readFileSync(casesPath, 'utf8'))
const out = []
for (const c of cases) {
  const simulation = {
    identityPolicies: (c.identity || []).map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: c.resourcePolicy || undefined,
    request: {
      action: c.action,
      principal: c.principal,
      resource: { resource: c.resource, accountId: c.account },
      contextVariables: c.context || {},
    },
  }
  const r = await runSimulation(simulation, {})
  if (r.resultType === 'error') {
    out.push({ error: JSON.stringify(r.errors) })
  } else {
    out.push({ result: r.overallResult })
  }
}
process.stdout.write(JSON.stringify(out))
