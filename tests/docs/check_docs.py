#!/usr/bin/python3
"""The documentation check (ctest `docs_*`): the repository's Markdown stands on its own.

  check_docs.py links ROOT          every relative link in every *.md of ROOT (README.md, docs/,
                                    module READMEs) names a file inside ROOT, and its #anchor a
                                    heading of that file; no link is an absolute path or leaves
                                    ROOT (../shared, /work/...); text never points at ../shared.
  check_docs.py cli ROOT BINARY     every command docs/cli.md documents (its `## ` headings) is
                                    in `BINARY --help`, and every command of the help has a
                                    section in docs/cli.md.
  check_docs.py api ROOT            every endpoint the code serves (node/pipeline/pipeline.cc's
                                    client endpoints, node/admin/admin_handler.cc's paths) has a
                                    `## \`METHOD /path\`` section in docs/http-api.md, and every
                                    such section names an endpoint the code serves.
  check_docs.py self-test           the checks above find what they must in made-up files.

Python 3 standard library only. Exit 0 when clean, 1 with one line per problem
(FILE:LINE: message).
"""

import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target); the target may be <...> and may carry a "title".
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
SKIP_DIRS = {".git", "node_modules", "_deps", "third_party"}


def skipped(relpath):
    """Vendored or generated trees (npm packages, build directories): not the project's docs."""
    parts = relpath.split("/")[:-1]
    return any(p in SKIP_DIRS or p.startswith("build") for p in parts)


def markdown_files(root):
    """The repository's *.md: what git tracks or would track, else a walk (no build trees)."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard",
             "--", "*.md"],
            check=True, capture_output=True, text=True).stdout
        files = sorted({os.path.join(root, f) for f in out.splitlines() if f and not skipped(f)})
        return [f for f in files if os.path.isfile(f)]
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if not skipped(x + "/")]
        found += [os.path.join(d, n) for n in names if n.endswith(".md")]
    return sorted(found)


def prose_lines(text):
    """(line number, line) outside fenced code blocks, with inline code spans blanked."""
    in_fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            if in_fence is None:
                in_fence = m.group(1)
            elif m.group(1) == in_fence:
                in_fence = None
            continue
        if in_fence is None and not line.startswith("    "):
            yield n, INLINE_CODE.sub(lambda c: " " * len(c.group(0)), line)
        elif in_fence is None:
            yield n, ""  # an indented code block


def slug(heading):
    """GitHub's anchor for a heading: rendered text, lower case, punctuation dropped,
    spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").replace("*", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    seen = {}
    result = set()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    in_fence = None
    for line in text.splitlines():
        m = FENCE.match(line)
        if m:
            in_fence = m.group(1) if in_fence is None else (None if m.group(1) == in_fence else in_fence)
            continue
        if in_fence is not None:
            continue
        h = HEADING.match(line)
        if not h:
            continue
        base = slug(h.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    for a in re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", text):
        result.add(a)
    return result


def check_links(root):
    root = os.path.realpath(root)
    problems = []
    anchor_cache = {}
    for path in markdown_files(root):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for n, line in prose_lines(text):
            where = f"{rel}:{n}"
            if re.search(r"(^|[^.\w])\.\./shared\b|/work/shared", line):
                problems.append(f"{where}: points at ../shared, which is not in the repository")
            targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
            m = REFERENCE_DEF.match(line)
            if m:
                targets.append(m.group(1))
            for target in targets:
                target = target.strip("<>")
                problem = check_target(root, path, target, anchor_cache)
                if problem:
                    problems.append(f"{where}: link '{target}': {problem}")
    return problems


def check_target(root, source, target, anchor_cache):
    if not target:
        return "empty link"
    if SCHEME.match(target):
        scheme = target.split(":", 1)[0].lower()
        if scheme in ("http", "https", "mailto"):
            return None  # a web page, not a file of the repository
        return f"a {scheme}: link points outside the repository"
    if target.startswith("//"):
        return "a network-path link points outside the repository"
    file_part, _, anchor = target.partition("#")
    file_part = file_part.split("?", 1)[0]
    if file_part.startswith("/"):
        return "an absolute path: link to files of the repository with a relative path"
    resolved = os.path.realpath(os.path.join(os.path.dirname(source), file_part)) if file_part else source
    if resolved != root and not resolved.startswith(root + os.sep):
        return "leaves the repository"
    if not os.path.exists(resolved):
        return "no such file in the repository"
    if anchor and os.path.isfile(resolved) and resolved.endswith(".md"):
        if resolved not in anchor_cache:
            anchor_cache[resolved] = anchors(resolved)
        if anchor not in anchor_cache[resolved]:
            return f"no heading '#{anchor}' in {os.path.relpath(resolved, root)}"
    return None


def help_commands(help_text):
    """{command words: the help lines that describe it}: 'serve', 'geo lookup',
    'audit verify', ... from lines such as '  geo lookup IP --config FILE'."""
    commands = {}
    current = None
    for line in help_text.splitlines():
        m = re.match(r"^  (\S.*)$", line)
        if not m:
            if current and line.startswith("   "):
                for words in current:
                    commands[words].append(line)
            continue
        tokens = re.split(r"\s{2,}", m.group(1))[0].split()  # the synopsis, not the description
        if not re.fullmatch(r"[a-z]+", tokens[0]):
            continue
        current = []
        subs = [None]
        if len(tokens) > 1 and re.fullmatch(r"[a-z]+(\|[a-z]+)*", tokens[1]):
            subs = tokens[1].split("|")
        for sub in subs:
            words = tokens[0] if sub is None else f"{tokens[0]} {sub}"
            commands.setdefault(words, []).append(line)
            current.append(words)
    return commands


def documented_commands(cli_md):
    """(line number, words, flags) of each '## command [--flag]' section of docs/cli.md."""
    result = []
    for n, line in prose_lines(open(cli_md, encoding="utf-8").read()):
        m = re.match(r"^## ([a-z][a-z ]*[a-z])((?: --[a-z-]+)*)\s*$", line)
        if m and m.group(1) != "exit codes":
            result.append((n, m.group(1), m.group(2).split()))
    return result


def check_cli(root, binary):
    cli_md = os.path.join(root, "docs", "cli.md")
    rel = os.path.relpath(cli_md, root)
    out = subprocess.run([binary, "--help"], capture_output=True, text=True)
    if out.returncode != 0:
        return [f"{binary} --help exited {out.returncode}"]
    return compare_cli(rel, documented_commands(cli_md), help_commands(out.stdout))


def compare_cli(rel, documented, in_help):
    problems = []
    for n, words, flags in documented:
        lines = in_help.get(words)
        if lines is None:
            problems.append(f"{rel}:{n}: '{words}' is documented but not in llm-edge --help")
            continue
        for flag in flags:
            if not any(re.search(rf"(^|\s){re.escape(flag)}(\s|$)", l) for l in lines):
                problems.append(f"{rel}:{n}: '{words} {flag}': llm-edge --help shows no {flag} for {words}")
    names = {words for _, words, _ in documented}
    for words in in_help:
        if words not in names:
            problems.append(f"{rel}: '{words}' is in llm-edge --help but has no '## {words}' section")
    return problems


def served_endpoints(root):
    """{"POST /v1/chat/completions", "GET /healthz", ...} from the code that dispatches them."""
    endpoints = set()
    with open(os.path.join(root, "node", "pipeline", "pipeline.cc"), encoding="utf-8") as f:
        for method, path in re.findall(r'\{"(GET|POST|PUT|DELETE|PATCH)",\s*"(/[^"]*)"', f.read()):
            endpoints.add(f"{method} {path}")
    with open(os.path.join(root, "node", "admin", "admin_handler.cc"), encoding="utf-8") as f:
        for path in re.findall(r'path\s*==\s*"(/[^"]*)"', f.read()):
            endpoints.add(f"GET {path}")  # the admin listener serves GET (and HEAD) only
    return endpoints


def documented_endpoints(http_api_md):
    """{(line, "GET /healthz"), ...}: the `## \`METHOD /path\`` headings of docs/http-api.md."""
    found = []
    for n, line in enumerate(open(http_api_md, encoding="utf-8").read().splitlines(), 1):
        m = re.match(r"^#{2,3} `(GET|POST|PUT|DELETE|PATCH) (/[^`?\s]*)[^`]*`\s*$", line)
        if m:
            found.append((n, f"{m.group(1)} {m.group(2)}"))
    return found


def compare_api(rel, documented, served):
    problems = []
    names = {e for _, e in documented}
    for e in sorted(served - names):
        problems.append(f"{rel}: the node serves {e} but {rel} has no '## `{e}`' section: "
                        f"document the endpoint there")
    for n, e in documented:
        if e not in served:
            problems.append(f"{rel}:{n}: '{e}' is documented but the node does not serve it")
    return problems


def check_api(root):
    http_api = os.path.join(root, "docs", "http-api.md")
    return compare_api(os.path.relpath(http_api, root), documented_endpoints(http_api),
                       served_endpoints(root))


def self_test():
    """The checks must be able to fail: made-up files with every kind of bad link."""
    failures = []

    def expect(name, got, wanted):
        for w in wanted:
            if not any(w in g for g in got):
                failures.append(f"self-test {name}: expected a problem containing '{w}', got {got}")
        if len(got) != len(wanted):
            failures.append(f"self-test {name}: expected {len(wanted)} problems, got {got}")

    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "repo")
        os.makedirs(os.path.join(root, "docs"))
        os.makedirs(os.path.join(tmp, "shared"))
        open(os.path.join(tmp, "shared", "DESIGN.md"), "w").close()
        os.makedirs(os.path.join(root, "tools", "node_modules", "pkg"))
        open(os.path.join(root, "tools", "node_modules", "pkg", "README.md"), "w").write(
            "[vendored, not ours](../../../nope.md)\n")
        open(os.path.join(root, "docs", "a.md"), "w").write(
            "# Title\n\n## `GET /readyz`\n\n## keygen --node\n")
        open(os.path.join(root, "README.md"), "w").write(
            "good: [a](docs/a.md), [b](docs/a.md#get-readyz), [c](docs/a.md#keygen---node),\n"
            "[d](#local), [web](https://example.com), [e](<docs/a.md> \"title\")\n"
            "## Local\n"
            "bad: [missing](docs/nope.md)\n"
            "bad: [outside](../shared/DESIGN.md)\n"
            "bad: [absolute](/etc/passwd)\n"
            "bad: [anchor](docs/a.md#nothing)\n"
            "bad: [file](file:///etc/passwd)\n"
            "[ref]: docs/gone.md\n"
            "bad text: see /work/shared/DESIGN.md\n"
            "```\n[in code](nope.md) is not a link\n```\n"
            "`[in a span](nope.md)` is not a link either\n")
        got = check_links(root)
        expect("links", got, ["README.md:4: link 'docs/nope.md': no such file",
                              "README.md:5: link '../shared/DESIGN.md': leaves the repository",
                              "README.md:5: points at ../shared",
                              "README.md:6: link '/etc/passwd': an absolute path",
                              "README.md:7: link 'docs/a.md#nothing': no heading",
                              "README.md:8: link 'file:///etc/passwd': a file: link",
                              "README.md:9: link 'docs/gone.md': no such file",
                              "README.md:10: points at ../shared"])
        # A clean tree is clean.
        open(os.path.join(root, "README.md"), "w").write("[a](docs/a.md#title)\n")
        expect("clean links", check_links(root), [])

    help_text = ("usage: llm-edge <command> [options]\n"
                 "  serve --config FILE    run a node\n"
                 "  keygen                 a key\n"
                 "  keygen --node --data-dir DIR\n"
                 "                         the node's key\n"
                 "  audit verify|export ...\n"
                 "                         the log\n")
    in_help = help_commands(help_text)
    expect("help parse", [] if set(in_help) == {"serve", "keygen", "audit verify", "audit export"}
           else [str(sorted(in_help))], [])
    documented = [(1, "serve", []), (2, "keygen", ["--node"]), (3, "audit verify", []),
                  (4, "audit residency", []), (5, "spend", ["--global"])]
    expect("cli", compare_cli("docs/cli.md", documented, in_help),
           ["docs/cli.md:4: 'audit residency' is documented but not in",
            "docs/cli.md:5: 'spend' is documented but not in",
            "'audit export' is in llm-edge --help but has no"])
    expect("cli flags", compare_cli("docs/cli.md", [(1, "serve", ["--config", "--bogus"]),
                                                   (2, "keygen", []), (3, "audit verify", []),
                                                   (4, "audit export", [])], in_help),
           ["docs/cli.md:1: 'serve --bogus': llm-edge --help shows no --bogus"])

    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "node", "pipeline"))
        os.makedirs(os.path.join(tmp, "node", "admin"))
        os.makedirs(os.path.join(tmp, "docs"))
        open(os.path.join(tmp, "node", "pipeline", "pipeline.cc"), "w").write(
            '    {"POST", "/v1/chat/completions", Api::kChat, kStages},\n'
            '    {"GET", "/v1/models", Api::kModels, kModelsStages},\n')
        open(os.path.join(tmp, "node", "admin", "admin_handler.cc"), "w").write(
            'if (path == "/healthz" && get) {}\nif (get && (path == "/dashboard" || x)) {}\n')
        open(os.path.join(tmp, "docs", "http-api.md"), "w").write(
            "## `POST /v1/chat/completions`\n## `GET /healthz`\n### `GET /admin/spend?scope=global`\n")
        expect("api", check_api(tmp),
               ["the node serves GET /dashboard but docs/http-api.md has no",
                "the node serves GET /v1/models but",
                "docs/http-api.md:3: 'GET /admin/spend' is documented but the node does not serve it"])
    return failures


def main(argv):
    if len(argv) == 3 and argv[1] == "links":
        problems = check_links(argv[2])
    elif len(argv) == 4 and argv[1] == "cli":
        problems = check_cli(os.path.realpath(argv[2]), argv[3])
    elif len(argv) == 3 and argv[1] == "api":
        problems = check_api(os.path.realpath(argv[2]))
    elif len(argv) == 2 and argv[1] == "self-test":
        problems = self_test()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
