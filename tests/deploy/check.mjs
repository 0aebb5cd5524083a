// Offline checks of deploy/terraform against config/regions/ (there is no terraform binary in
// CI): HashiCorp's HCL parser (@cdktf/hcl2json, the Go parser as WebAssembly) reads every .tf,
// then policy rules over the parsed HCL, in the manner of conftest / tflint:
//   1. every .tf parses, in `terraform fmt` layout (2-space indent, aligned `=`);
//   2. the regions Terraform deploys are the files in config/regions/ (the root derives them
//      with fileset + yamldecode; nothing else lists them), each with a known AWS region, in
//      its pinned jurisdiction, and federated with every other region under the seed names
//      Terraform publishes, on that region's federation port;
//   3. each region's security groups match its config's listeners: the client port open to
//      0.0.0.0/0 on the load balancer only, the federation port only to the peers' addresses,
//      the admin port to nothing but the region's own load balancer (the /readyz check).
import { parse } from '@cdktf/hcl2json';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// Usage: node check.mjs REPO_ROOT...  Prints one line per problem and a summary for each root;
// exits 1 if any root has a problem. With --out, each root's report goes to ROOT/check.out and
// its exit code to ROOT/check.rc instead (tests/deploy/deploy_test.sh checks many broken copies
// in one process: the parser's WebAssembly start-up is most of a run).
async function checkRoot(root) {
  const tfRoot = path.join(root, 'deploy/terraform');
  const moduleDir = path.join(tfRoot, 'modules/region');
  const problems = [];
  const problem = (msg) => problems.push(msg);

  // ---- 1. parse and layout ---------------------------------------------------------------
  function tfFiles(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === '.terraform' ? [] : tfFiles(p);
      return e.name.endsWith('.tf') ? [p] : [];
    });
  }

  // terraform fmt's layout, as far as it can be checked line by line: two-space indents, no
  // tabs or trailing blanks, and in every run of consecutive one-line attributes at one indent
  // the `=` signs aligned one space after the longest name.
  function checkLayout(file, text) {
    const rel = path.relative(root, file);
    if (!text.endsWith('\n')) problem(`${rel}: no newline at the end`);
    const lines = text.split('\n');
    let run = [];
    const flush = () => {
      if (run.length > 0) {
        const width = Math.max(...run.map((a) => a.name.length));
        for (const a of run) {
          if (a.gap !== width - a.name.length + 1) {
            problem(`${rel}:${a.line}: "=" not aligned as terraform fmt does (${a.name})`);
          }
        }
      }
      run = [];
    };
    let indentOfRun = -1;
    lines.forEach((line, i) => {
      const n = i + 1;
      if (/\t/.test(line)) problem(`${rel}:${n}: tab`);
      if (/[ \t]+$/.test(line)) problem(`${rel}:${n}: trailing whitespace`);
      const indent = line.match(/^ */)[0].length;
      if (line.trim() !== '' && indent % 2 !== 0) problem(`${rel}:${n}: indent of ${indent} spaces`);
      const m = line.match(/^( *)("[^"]*"|[A-Za-z_][A-Za-z0-9_-]*)( *)=(?![=>~])/);
      const multiLine = m && /[[{(]\s*$|<<-?[A-Z]+\s*$/.test(line);
      if (!m || multiLine || m[1].length !== indentOfRun) flush();
      if (m && multiLine && m[3].length !== 1) {
        problem(`${rel}:${n}: one space before "=" (${m[2]})`);
      }
      if (m && !multiLine) {
        indentOfRun = m[1].length;
        run.push({ name: m[2], gap: m[3].length, line: n });
      } else {
        indentOfRun = -1;
      }
    });
    flush();
  }

  async function parseDir(dir) {
    const merged = {};
    for (const file of tfFiles(dir).filter((f) => path.dirname(f) === dir)) {
      const text = fs.readFileSync(file, 'utf8');
      checkLayout(file, text);
      let json;
      try {
        json = await parse(path.basename(file), text);
      } catch (e) {
        problem(`${path.relative(root, file)}: does not parse: ${String(e.message ?? e).slice(0, 300)}`);
        continue;
      }
      for (const [kind, body] of Object.entries(json)) {
        merged[kind] ??= {};
        for (const [k, v] of Object.entries(body)) {
          if (kind === 'resource' || kind === 'data') {
            merged[kind][k] = { ...(merged[kind][k] ?? {}), ...v };
          } else if (kind === 'locals') {
            merged.locals = { ...merged.locals, ...Object.assign({}, ...body) };
            break;
          } else {
            merged[kind][k] = v;
          }
        }
      }
    }
    return merged;
  }

  for (const dir of new Set(tfFiles(tfRoot).map((f) => path.dirname(f)))) {
    if (dir !== tfRoot && dir !== moduleDir) await parseDir(dir);  // any other module: parse + layout
  }
  const tfr = await parseDir(tfRoot);
  const mod = await parseDir(moduleDir);

  // ---- 2. the regions ---------------------------------------------------------------------
  const one = (x) => (Array.isArray(x) ? x[0] : x);
  const rootLocals = tfr.locals ?? {};
  const expect = (cond, msg) => { if (!cond) problem(msg); return cond; };

  const regionsDirExpr = String(rootLocals.regions_dir ?? '')
    .replace('${local.config_dir}', String(rootLocals.config_dir ?? '')).replace('${local.repo_root}', '');
  expect(regionsDirExpr === '/config/regions' && rootLocals.repo_root === '${path.module}/../..',
         'deploy/terraform/regions.tf: local.regions_dir must be the repository\'s config/regions');
  expect(/for name, m in local\.merged/.test(String(rootLocals.regions ?? '')) &&
         /include_chain/.test(String(rootLocals.merged ?? '')),
         'deploy/terraform/regions.tf: local.regions must read each region\'s config with its includes merged (local.merged)');
  const configsExpr = String(rootLocals.region_configs ?? '');
  expect(/fileset\(local\.regions_dir, "\*\.yaml"\)/.test(configsExpr) && /\.node\.region/.test(configsExpr) &&
         /excluded_region_files/.test(configsExpr),
         'deploy/terraform/regions.tf: local.region_configs must be every config/regions/*.yaml with node.region, less excluded_region_files');
  const excluded = rootLocals.excluded_region_files;
  expect(Array.isArray(excluded) && excluded.includes('demo.yaml'),
         'deploy/terraform/regions.tf: excluded_region_files must be a list that names demo.yaml');
  const regionsExpr = String(rootLocals.regions ?? '');
  for (const [attr, source] of [['client_port', 'm.node.listen'], ['admin_port', 'm.node.admin_listen'],
                                ['federation_port', 'm.federation.listen']]) {
    expect(new RegExp(`${attr} += [^\\n]*regex\\("\\[0-9\\]\\+\\$", ${source.replace(/\./g, '\\.')}\\)`).test(regionsExpr),
           `deploy/terraform/regions.tf: local.regions.${attr} must be the port of ${source}`);
  }
  const moduleCall = one(tfr.module?.region);
  if (expect(moduleCall, 'deploy/terraform: no module "region"')) {
    expect(moduleCall.source === './modules/region' && moduleCall.for_each === '${local.regions}',
           'deploy/terraform/main.tf: module "region" must be ./modules/region with for_each = local.regions');
  }

  const tfDefault = (name) => one(tfr.variable?.[name])?.default;
  const awsOverrides = tfDefault('aws_regions') ?? {};
  const gossipZone = tfDefault('gossip_zone');
  expect(typeof gossipZone === 'string', 'deploy/terraform/variables.tf: variable gossip_zone needs a default');

  const readYaml = (p) => YAML.parse(fs.readFileSync(p, 'utf8'), { version: '1.2' });
  const cloudRegions = readYaml(path.join(root, 'config/cloud_regions.yaml')).aws;
  const awsJurisdiction = Object.fromEntries(
    Object.entries(cloudRegions).flatMap(([j, names]) => names.map((n) => [n, j])));
  const defaultJurisdictions = readYaml(path.join(root, 'config/jurisdictions.yaml')).jurisdictions;

  // A region's config as the node reads it, for the sections deploy/ uses: its includes
  // (relative to the including file, recursively) merged in order, then the file itself,
  // each section key by key, the later file winning (config/include.cc; regions.tf does the
  // same two levels deep and fails the plan beyond).
  const sections = ['node', 'federation', 'jurisdictions'];
  function effective(file, seen = new Set(), depth = 0) {
    const out = Object.fromEntries(sections.map((s) => [s, {}]));
    if (seen.has(file)) return out;
    seen.add(file);
    const cfg = readYaml(file) ?? {};
    if (depth === 2 && (cfg.include ?? []).length > 0) {
      problem(`${path.relative(root, file)}: includes more files three levels down from a region file; Terraform follows two (regions.tf)`);
    }
    const layers = [...(cfg.include ?? []).map((inc) => effective(path.resolve(path.dirname(file), inc), seen, depth + 1)), cfg];
    for (const layer of layers) {
      for (const s of sections) Object.assign(out[s], layer[s] ?? {});
    }
    return out;
  }

  const regionsDir = path.join(root, 'config/regions');
  const regions = {};
  for (const f of fs.readdirSync(regionsDir).filter((f) => f.endsWith('.yaml')).sort()) {
    if (Array.isArray(excluded) && excluded.includes(f)) continue;
    const file = path.join(regionsDir, f);
    let own;
    let cfg;
    try {
      own = readYaml(file);
      cfg = effective(file);
    } catch (e) {
      problem(`config/regions/${f}: ${e.message}`);
      continue;
    }
    if (own?.node?.region === undefined) continue;  // a part that region files include
    regions[f.slice(0, -'.yaml'.length)] = cfg;
  }

  const port = (hostPort) => {
    const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(String(hostPort ?? ''));
    return m ? { host: m[1] ?? m[2], port: Number(m[3]) } : null;
  };
  const facts = {};
  for (const [name, cfg] of Object.entries(regions)) {
    const where = `config/regions/${name}.yaml`;
    expect(cfg.node.region === name, `${where}: node.region is ${cfg.node.region}; it must equal the file name`);
    const awsRegion = awsOverrides[name] ?? `${name}-1`;
    expect(awsRegion in awsJurisdiction,
           `${where}: region ${name} would run in AWS region ${awsRegion}, which config/cloud_regions.yaml does not list (set aws_regions["${name}"])`);
    const jurisdictions = { ...defaultJurisdictions, ...cfg.jurisdictions };
    if (jurisdictions[cfg.node.jurisdiction]?.pinned) {
      expect(awsJurisdiction[awsRegion] === cfg.node.jurisdiction,
             `${where}: pinned jurisdiction ${cfg.node.jurisdiction} but AWS region ${awsRegion} is in ${awsJurisdiction[awsRegion] ?? 'no jurisdiction'}`);
    }
    const client = port(cfg.node.listen);
    const admin = port(cfg.node.admin_listen);
    const federation = cfg.federation.listen === undefined ? null : port(cfg.federation.listen);
    if (!expect(client && admin && (federation || cfg.federation.listen === undefined),
                `${where}: node.listen, node.admin_listen and federation.listen must be host:port`)) continue;
    expect(['127.0.0.1', '::1', 'localhost'].includes(admin.host),
           `${where}: node.admin_listen ${cfg.node.admin_listen} is not loopback: the admin listener is for nobody outside`);
    const ports = [client.port, admin.port, federation?.port].filter((p) => p !== undefined);
    expect(new Set(ports).size === ports.length, `${where}: the listeners need different ports`);
    facts[name] = { cfg, awsRegion, client: client.port, admin: admin.port, federation: federation?.port ?? null };
  }
  for (const name of Object.keys(awsOverrides)) {
    expect(name in regions, `deploy/terraform/variables.tf: aws_regions names ${name}, which has no config/regions/${name}.yaml`);
  }
  // Federation: every region seeds every other one by the name Terraform publishes for it
  // (gossip.<region>.<gossip_zone>, its elastic IPs), on that region's federation port.
  const seedRe = new RegExp(`^gossip\\.([a-z0-9-]+)\\.${String(gossipZone).replace(/\./g, '\\.')}:(\\d+)$`);
  for (const [name, f] of Object.entries(facts)) {
    if (f.federation === null) continue;
    const where = `config/regions/${name}.yaml`;
    const peers = f.cfg.federation.peers ?? [];
    for (const peer of peers) {
      const m = seedRe.exec(peer);
      if (!expect(m, `${where}: federation.peers entry ${peer} is not gossip.<region>.${gossipZone}:<port>`)) continue;
      if (!expect(m[1] in facts, `${where}: federation.peers names region ${m[1]}, which has no config/regions/${m[1]}.yaml`)) continue;
      expect(Number(m[2]) === facts[m[1]].federation,
             `${where}: federation.peers dials ${m[1]} on port ${m[2]}, but ${m[1]}'s federation.listen port is ${facts[m[1]].federation}`);
    }
    for (const [other, o] of Object.entries(facts)) {
      if (other === name || o.federation === null) continue;
      expect(peers.some((p) => seedRe.exec(p)?.[1] === other), `${where}: federation.peers does not seed region ${other}`);
    }
  }

  // ---- 3. security groups against each region's listeners ---------------------------------
  // Module expressions are resolved through the root's module call: "${var.client_port}" ->
  // "${each.value.client_port}" -> the region's port from its YAML (regions.tf derives them so,
  // which part 2 checked). Anything else in a port or source is a problem, not a guess.
  function resolve(expr, f) {
    if (typeof expr === 'number') return expr;
    const v = /^\$\{(?:tostring\()?var\.([a-z_]+)\)?\}$/.exec(String(expr));
    if (!v) return /^\d+$/.test(String(expr)) ? Number(expr) : undefined;
    const arg = moduleCall?.[v[1]];
    const e = /^\$\{each\.value\.(client_port|admin_port|federation_port)\}$/.exec(String(arg));
    if (!e) return undefined;
    return { client_port: f.client, admin_port: f.admin, federation_port: f.federation }[e[1]];
  }
  const resources = mod.resource ?? {};
  for (const inline of Object.entries(resources.aws_security_group ?? {})) {
    expect(!one(inline[1]).ingress, `modules/region: aws_security_group.${inline[0]} has inline ingress rules`);
  }
  expect(!resources.aws_security_group_rule, 'modules/region: aws_security_group_rule is not used (rules are aws_vpc_security_group_ingress_rule)');
  const lb = one(resources.aws_lb?.this);
  expect(lb && JSON.stringify(lb.security_groups) === JSON.stringify(['${aws_security_group.lb.id}']) &&
         lb.load_balancer_type === 'network' && lb.internal === false,
         'modules/region: aws_lb.this must be an Internet-facing network load balancer with the lb security group');
  const lt = one(resources.aws_launch_template?.node);
  expect(lt && JSON.stringify(one(lt.network_interfaces)?.security_groups) === JSON.stringify(['${aws_security_group.node.id}']),
         'modules/region: the launch template must give nodes the node security group only');
  expect(/aws_eip\.node/.test(String(moduleCall?.federation_peer_cidrs)) && /\/32/.test(String(moduleCall?.federation_peer_cidrs)),
         'deploy/terraform/main.tf: federation_peer_cidrs must be the nodes\' elastic IPs as /32');

  const rules = Object.entries(resources.aws_vpc_security_group_ingress_rule ?? {}).map(([n, b]) => ({ n, ...one(b) }));
  for (const [name, f] of Object.entries(facts)) {
    const tag = `region ${name}`;
    let worldClient = false;
    for (const r of rules) {
      const from = r.ip_protocol === '-1' ? 0 : resolve(r.from_port, f);
      const to = r.ip_protocol === '-1' ? 65535 : resolve(r.to_port, f);
      if (!expect(from !== undefined && to !== undefined,
                  `modules/region: ingress rule ${r.n}: ports ${r.from_port}..${r.to_port} are not a listener port the check can resolve`)) continue;
      const covers = (p) => p !== null && from <= p && p <= to;
      const sg = { '${aws_security_group.lb.id}': 'lb', '${aws_security_group.node.id}': 'node' }[r.security_group_id];
      const source = r.referenced_security_group_id === '${aws_security_group.lb.id}' ? 'lb'
        : r.cidr_ipv4 === '${each.value}' && /var\.federation_peer_cidrs/.test(String(r.for_each)) ? 'peers'
        : ['0.0.0.0/0', '::/0'].includes(r.cidr_ipv4 ?? r.cidr_ipv6) ? 'world'
        : `other (${r.cidr_ipv4 ?? r.cidr_ipv6 ?? r.referenced_security_group_id ?? r.prefix_list_id})`;
      const what = `${tag}: ingress rule ${r.n} (ports ${from}-${to} from ${source} to the ${sg ?? r.security_group_id} group)`;
      if (source === 'world') {
        expect(sg === 'lb' && from === f.client && to === f.client, `${what}: only the client port ${f.client} is open to the world, on the load balancer`);
        if (sg === 'lb' && from === f.client && to === f.client) worldClient = true;
      }
      if (covers(f.admin)) expect(sg === 'node' && source === 'lb', `${what}: the admin port ${f.admin} admits only the region's load balancer`);
      if (covers(f.federation)) expect(sg === 'node' && source === 'peers', `${what}: the federation port ${f.federation} admits only the peers' addresses`);
      if (source === 'peers') expect(from === f.federation && to === f.federation, `${what}: peers get only the federation port ${f.federation}`);
      if (source === 'lb') expect(sg === 'node' && (from === to) && [f.client, f.admin].includes(from), `${what}: the load balancer reaches only the client and admin ports`);
      if (source.startsWith('other')) problem(`${what}: unexpected source`);
    }
    expect(worldClient, `${tag}: no rule opens the client port ${f.client} to 0.0.0.0/0`);
    if (f.federation !== null) {
      expect(rules.some((r) => resolve(r.from_port, f) === f.federation && /var\.federation_peer_cidrs/.test(String(r.for_each))),
             `${tag}: no rule admits the peers on the federation port ${f.federation}`);
    }
    const tg = one(resources.aws_lb_target_group?.client);
    const hc = one(tg?.health_check);
    expect(tg && resolve(tg.port, f) === f.client && tg.protocol === 'TCP',
           `${tag}: the target group must forward TCP to the client port ${f.client}`);
    const hcProtocol = f.cfg.node.admin_tls?.cert ? 'HTTPS' : 'HTTP';
    expect(hc && hc.path === '/readyz' && resolve(hc.port, f) === f.admin &&
           [hcProtocol, '${can(var.config.node.admin_tls.cert) ? "HTTPS" : "HTTP"}'].includes(hc.protocol),
           `${tag}: the health check must be HTTP GET /readyz on the admin port ${f.admin}`);
    const listener = one(resources.aws_lb_listener?.client);
    expect(listener && resolve(listener.port, f) === f.client, `${tag}: the load balancer must listen on the client port ${f.client}`);
  }

  const report = problems.map((p) => `FAIL ${p}`);
  report.push(problems.length > 0
    ? `deploy check: ${problems.length} problem(s)`
    : `deploy check: ${tfFiles(tfRoot).length} .tf files parse; regions: ${Object.keys(facts).join(', ') || '(none in config/regions/ yet)'}`);
  return { ok: problems.length === 0, report: report.join('\n') };
}

const args = process.argv.slice(2);
const toFiles = args.includes('--out');
let allOk = true;
for (const root of args.filter((a) => a !== '--out')) {
  const dir = path.resolve(root);
  let result;
  try {
    result = await checkRoot(dir);
  } catch (e) {  // a file the checks could not read is a problem too, not a crash
    result = { ok: false, report: `FAIL ${e.message}\ndeploy check: 1 problem(s)` };
  }
  allOk &&= result.ok;
  if (toFiles) {
    fs.writeFileSync(path.join(dir, 'check.out'), `${result.report}\n`);
    fs.writeFileSync(path.join(dir, 'check.rc'), result.ok ? '0\n' : '1\n');
  } else {
    console.log(result.report);
  }
}
process.exit(allOk ? 0 : 1);
