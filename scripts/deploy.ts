/**
 * npm run deploy: ships the project to a CloudBase environment.
 *   TCB_ENV_ID=<env id> npm run deploy             (or: npm run deploy -- --env <id>)
 *   npm run deploy -- --dry-run                    prints the plan, touches nothing, needs no login
 * Configuration is read as configure and preview read it (scripts/settings.ts): the shell, then
 * `.env.local`, then `.env`, then the env id npm run configure wrote; the plan says which source
 * gave the env id. The variables are listed below as required or optional. `--force` takes an env
 * id the format check doubts. Before printing a
 * plan it is going to carry out, it checks the login and that the env id is one of the login's
 * environments.
 * 1. builds every function (the same build as npm start and npm test);
 * 2. deploys each with `tcb fn deploy <name> --force` from cloudbaserc.json, then creates its
 *    timer triggers (`tcb fn trigger create <name>`; flags checked against tcb 2.12 --help);
 * 3. creates the collections of database/collections.json that are missing, their missing
 *    indexes, and sets their security rules (CloudBase Manager SDK; ModifySafeRule, AclTag CUSTOM);
 * 4. prints what only the console can do (message-push routing, the cloudPay sub-merchant, seeds).
 * Cloud-call permissions: a function's config.json `permissions.openapi` is documented as applied
 * when the function is uploaded from DevTools (CloudBase FAQ on -604101); nothing documents
 * `tcb fn deploy` or the Manager SDK reading it. So each function that has permissions is, after
 * `tcb fn deploy` (runtime, timeout, variables, triggers), uploaded again through the channel
 * DevTools uses: miniprogram-ci `cloud.uploadFunction` with the code-upload key (MP_APPID,
 * MP_PRIVATE_KEY_PATH), which zips the folder with its config.json. Without the key deploy stops
 * and says so, unless `--no-permissions` (then it lists the functions to upload from DevTools).
 * An upload is not proof that they took: deploy then reads them back from WeChat
 * (tcb/getfuncconfig; scripts/func-config.ts, with MP_APPSECRET) and says "applied" only when
 * WeChat lists them, "NOT applied" when it does not, and "not confirmed", with why, otherwise.
 * The parts: deploy-config.ts (variables, the project), deploy-plan.ts (options, steps),
 * deploy-cloudbase.ts (carrying the steps out). Credentials: a `tcb login` for the functions; the database step needs a CAM API key
 * (TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY, which `tcb` uses too). Nothing is committed.
 */
import { configRoot, envMismatch, readSettings, said, modeOf, ModeError } from './settings'
import { realCloudBase, execute } from './deploy-cloudbase'
import { readProject, variableReport, writeSeeds } from './deploy-config'
import { parseOptions, makePlan, describeStep, DeployError } from './deploy-plan'

export const DEPLOY_USAGE = [
  'npm run deploy                       deploy to the env id of the shell, .env.local, .env, or npm run configure (in that order)',
  'npm run deploy -- --env <env id>     deploy to this environment',
  "npm run deploy -- --mode prod        read .env.prod over .env.local and .env (the CloudBase CLI's convention; also for configure and preview)",
  'npm run deploy -- --dry-run          print the plan; nothing is changed, no login needed',
  'npm run deploy -- --no-permissions   without the code-upload key: list the functions to upload from DevTools',
  'npm run deploy -- --force            take an env id the format check doubts',
].join('\n')

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(DEPLOY_USAGE)
    return
  }
  // KIT_ENV_DIR: where .env, .env.local and configure's file are read (the project root by
  // default). The tests point it at a folder of their own, so a user's .env never changes what they see.
  const { mode, rest } = modeOf(process.argv.slice(2))
  const settings = readSettings(configRoot(), process.env, mode)
  const env = settings.vars
  const opts = parseOptions(rest, env, settings)
  const project = readProject()
  const steps = makePlan(project, opts)
  // A plan is printed as "Deploying" only once the login and the env id are known to work.
  const cloud = opts.dryRun ? undefined : realCloudBase(opts, env)
  await cloud?.checkLogin()
  console.log(
    `${opts.dryRun ? 'Plan (dry run, nothing is changed)' : 'Deploying'} to ${said({ value: opts.envId, from: opts.envFrom ?? 'TCB_ENV_ID' })}:`,
  )
  const mismatch = envMismatch({ value: opts.envId, from: opts.envFrom ?? 'TCB_ENV_ID' }, settings)
  steps.forEach((s, i) => console.log(`  ${i + 1}. ${describeStep(s)}`))
  variableReport(project, env).forEach((l) => console.log(l))
  if (mismatch) console.log(mismatch)
  if (!cloud) return
  writeSeeds(project)
  const manual = await execute(steps, cloud, (l) => console.log(l))
  console.log('\nDone. Left to do by hand in the console:')
  manual.forEach((m) => console.log(`  - ${m}`))
}

if (require.main === module) {
  main().catch((e) => {
    // One sentence for what the user can fix; a stack only for our own bugs.
    console.error(e instanceof DeployError || e instanceof ModeError ? e.message : e)
    process.exit(1)
  })
}
