// What a node of one region receives, made offline the way deploy/terraform makes it, so that
// tests/deploy/deploy_test.sh can boot it with stubbed AWS commands:
//   node cloud_init.mjs REPO_ROOT REGION ROOT_DIR [ARTIFACT_URL ARTIFACT_SHA256]
// 1. the files the module ships: the region file and its includes, relative to config/ (the
//    same walk as regions.tf), and the instance config from instance.yaml.tftpl;
// 2. the user data from cloud-init.yaml.tftpl, gzipped as the launch template sends it, and
//    held to EC2's 16 KiB;
// 3. the user data parsed as a cloud-config: every write_files entry decoded (b64, gz+b64) and
//    written under ROOT_DIR with its permissions, as cloud-init would. Prints the size.
// The templates are rendered by a small evaluator of the template syntax they use (${name},
// ${base64encode(x)}, ${base64gzip(x)}, %{ if x != null }, %{ for k, v in x }, ~ strip
// markers); anything else in a template is an error, so it cannot drift unnoticed.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import YAML from 'yaml';

const [repo, region, rootDir, artifactUrl = 's3://llm-edge-releases/llm-edge.tar.gz',
  artifactSha = '0'.repeat(64)] = process.argv.slice(2);
const moduleDir = path.join(repo, 'deploy/terraform/modules/region');
const configDir = path.join(repo, 'config');

const functions = {
  base64encode: (s) => Buffer.from(s).toString('base64'),
  // Terraform's base64gzip: gzip with no file name or time, then base64.
  base64gzip: (s) => zlib.gzipSync(Buffer.from(s)).toString('base64'),
};

function render(template, vars) {
  const tokens = [];
  const re = /(\$|%)\{(~?)\s*(.*?)\s*(~?)\}/gs;
  let last = 0;
  for (const m of template.matchAll(re)) {
    tokens.push({ text: template.slice(last, m.index) });
    tokens.push({ kind: m[1], stripBefore: m[2] === '~', body: m[3], stripAfter: m[4] === '~' });
    last = m.index + m[0].length;
  }
  tokens.push({ text: template.slice(last) });
  // Strip markers trim whitespace up to and including one line break: HCL's scanner cuts
  // template text into one literal per line, and `~` trims only the adjacent literal.
  tokens.forEach((t, i) => {
    if (t.stripBefore && tokens[i - 1]) {
      const prev = tokens[i - 1].text;
      tokens[i - 1].text = /[^\n]*\S[^\n]*$|^[^\n]*$/.test(prev.split('\n').pop()) && prev.split('\n').pop() !== ''
        ? prev.replace(/[ \t]+$/, '') : prev.replace(/[ \t]*\r?\n?[ \t]*$/, '');
    }
    if (t.stripAfter && tokens[i + 1]) tokens[i + 1].text = tokens[i + 1].text.replace(/^[ \t]*(\r?\n)?/, '');
  });
  const value = (expr, scope) => {
    let m = /^([a-z_]+)$/.exec(expr);
    if (m) {
      if (!(m[1] in scope)) throw new Error(`template variable ${m[1]} is not set`);
      return scope[m[1]];
    }
    m = /^([a-z0-9]+)\(([a-z_]+)\)$/.exec(expr);
    if (m && functions[m[1]]) return functions[m[1]](String(value(m[2], scope)));
    throw new Error(`template expression the test does not know: ${expr}`);
  };
  let pos = 0;
  const block = (scope, until) => {
    let out = '';
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t.text !== undefined) { out += t.text; continue; }
      if (t.kind === '$') { out += String(value(t.body, scope) ?? ''); continue; }
      let m;
      if (until.includes(t.body)) return out;
      if ((m = /^if ([a-z_]+) != null$/.exec(t.body))) {
        const inner = block(scope, ['endif']);
        if (value(m[1], scope) !== null && value(m[1], scope) !== undefined) out += inner;
      } else if ((m = /^for ([a-z_]+), ([a-z_]+) in ([a-z_]+)$/.exec(t.body))) {
        const start = pos;
        const map = value(m[3], scope);
        let end = start;
        for (const k of Object.keys(map).sort()) {  // Terraform iterates a map in key order
          pos = start;
          out += block({ ...scope, [m[1]]: k, [m[2]]: map[k] }, ['endfor']);
          end = pos;
        }
        if (Object.keys(map).length === 0) { block(scope, ['endfor']); end = pos; }
        pos = end;
      } else {
        throw new Error(`template directive the test does not know: ${t.body}`);
      }
    }
    return out;
  };
  return block(vars, []);
}

// 1. The shipped files: regions.tf's include walk (relative to each including file).
const files = {};
const walk = (rel) => {
  const text = fs.readFileSync(path.join(configDir, rel), 'utf8');
  for (const inc of YAML.parse(text)?.include ?? []) walk(path.posix.normalize(path.posix.join(path.posix.dirname(rel), inc)));
  files[rel] = text;
};
walk(`regions/${region}.yaml`);
const cfg = YAML.parse(files[`regions/${region}.yaml`]);
const merged = { node: {}, federation: {} };
for (const text of Object.values(files)) {  // walk order is merge order, the region file last
  const doc = YAML.parse(text) ?? {};
  Object.assign(merged.node, doc.node ?? {});
  Object.assign(merged.federation, doc.federation ?? {});
}
if (cfg?.node?.region !== region) throw new Error(`config/regions/${region}.yaml is not region ${region}`);
const portOf = (hostPort) => (hostPort === undefined ? null : Number(/(\d+)$/.exec(hostPort)[1]));
const federationPort = portOf(merged.federation.listen);
const instancePath = `regions/${region}.instance.yaml`;
files[instancePath] = render(fs.readFileSync(path.join(moduleDir, 'instance.yaml.tftpl'), 'utf8'), {
  name: region,
  region_file: `${region}.yaml`,
  admin_port: portOf(merged.node.admin_listen),
  federation_port: federationPort,
  access_log: process.env.ACCESS_LOG ?? null,
});

// 2. The user data (compute.tf's bootstrap_env and templatefile call).
const bootstrapEnv = [
  `REGION=${region}`, `AWS_REGION=${region}-1`, `ARTIFACT_URL=${artifactUrl}`,
  `ARTIFACT_SHA256=${artifactSha}`, 'SSM_PREFIX=/llm-edge', `CONFIG_PATH=${instancePath}`,
  `EIP_POOL_TAG=llm-edge-${region}`, `FEDERATION_PORT=${federationPort ?? ''}`, '',
].join('\n');
const userData = render(fs.readFileSync(path.join(moduleDir, 'cloud-init.yaml.tftpl'), 'utf8'), {
  name: region,
  bootstrap: fs.readFileSync(path.join(moduleDir, 'bootstrap.sh'), 'utf8'),
  bootstrap_env: bootstrapEnv,
  config_files: files,
});
const sent = zlib.gzipSync(Buffer.from(userData));
if (sent.length > 16384) throw new Error(`user data is ${sent.length} bytes gzipped; EC2 takes 16384`);

// 3. cloud-init's view: a #cloud-config document whose write_files land under rootDir.
if (!userData.startsWith('#cloud-config\n')) throw new Error('user data does not start with #cloud-config');
const doc = YAML.parse(userData);
const written = [];
for (const f of doc.write_files) {
  let data = Buffer.from(f.content, f.encoding ? 'base64' : 'utf8');
  if (f.encoding === 'gz+b64') data = zlib.gunzipSync(data);
  else if (f.encoding !== 'b64') throw new Error(`write_files encoding ${f.encoding}`);
  const dst = path.join(rootDir, f.path);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.writeFileSync(dst, data, { mode: parseInt(f.permissions, 8) });
  fs.chmodSync(dst, parseInt(f.permissions, 8));
  written.push(f.path);
}
for (const [rel, text] of Object.entries(files)) {  // what was shipped is what lands
  if (fs.readFileSync(path.join(rootDir, 'etc/llm-edge', rel), 'utf8') !== text) throw new Error(`${rel} changed on the way`);
}
if (JSON.stringify(doc.runcmd) !== JSON.stringify([['/usr/local/sbin/llm-edge-bootstrap']])) {
  throw new Error(`runcmd is ${JSON.stringify(doc.runcmd)}`);
}
console.log(`user data: ${userData.length} bytes, ${sent.length} gzipped; files: ${written.join(' ')}`);
