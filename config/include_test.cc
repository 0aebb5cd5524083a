// `include: [files]`: the merge rules, where errors in included files are reported, and the
// malformed cases (missing, unreadable, not YAML, not a mapping, cycles, repeats, depth).

#include "config/include.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"

namespace edge::config {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kKeyB[] = "806647bb62d32253b6797dad9d71d211d172005a6564317a920e9ba78322a338";

class Include : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/edge-include-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes DIR/name (creating folders) and returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path p = std::filesystem::path(dir_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::vector<std::string> ErrorsOf(const std::string& name) {
    std::vector<ConfigError> errors;
    auto cfg = Load(Path(name), &errors);
    EXPECT_FALSE(cfg.ok());
    std::vector<std::string> out;
    for (const ConfigError& e : errors) out.push_back(e.ToString());
    return out;
  }

  std::string dir_;
};

constexpr char kShared[] = R"(node:
  region: eu-west
  jurisdiction: EU
  workers: 2
  data_dir: ./shared-data
federation:
  listen: "0.0.0.0:7946"
  key: shared-key
  peers: ["a.internal:7946", "b.internal:7946"]
model_list:
  - model_name: chat
    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-1}
    model_info: {jurisdiction: EU}
router_settings:
  num_retries: 1
  timeout: 30
  fallbacks: [{chat: [chat-small]}]
keys:
  - {id: shared, key_sha256: "0ed816e5c3fc2154650b2b401c1e086524743e36e81dda2d9ffe82a8686cf57f", team: search}
teams:
  - {name: search, budget_usd_monthly: 100}
)";

TEST_F(Include, MergesInOrderAndTheIncludingFileWins) {
  Write("shared/base.yaml", kShared);
  Write("regions/eu-west.yaml", std::string(R"(include: [../shared/base.yaml]
node: {id: eu-west-a, workers: 4}
federation:
  peers: ["c.internal:7946"]
model_list:
  - model_name: chat-small
    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-2, api_base: "http://127.0.0.1:9/v1"}
    model_info: {jurisdiction: EU}
router_settings:
  timeout: 60
  fallbacks: [{chat-small: [chat]}]
keys:
  - {id: region, key_sha256: ")") + kKeyB + R"("}
teams:
  - {name: ops}
)");
  std::vector<ConfigError> errors;
  auto cfg = Load(Path("regions/eu-west.yaml"), &errors);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  // Mappings merge key by key; the including file's scalars win.
  EXPECT_EQ(cfg->node.id, "eu-west-a");
  EXPECT_EQ(cfg->node.region, "eu-west");
  EXPECT_EQ(cfg->node.workers, 4);
  EXPECT_EQ(cfg->node.data_dir, "./shared-data");
  EXPECT_EQ(cfg->router.num_retries, 1);
  EXPECT_EQ(cfg->router.timeout_s, 60);
  // Lists of scalars are values: replaced.
  EXPECT_THAT(cfg->federation.peers, ElementsAre("c.internal:7946"));
  EXPECT_EQ(cfg->federation.key, "shared-key");
  // model_list, keys, teams and fallbacks concatenate, included items first.
  ASSERT_EQ(cfg->model_list.size(), 2u);
  EXPECT_EQ(cfg->model_list[0].model_name, "chat");
  EXPECT_EQ(cfg->model_list[1].model_name, "chat-small");
  ASSERT_EQ(cfg->keys.size(), 2u);
  EXPECT_EQ(cfg->keys[0].id, "shared");
  EXPECT_EQ(cfg->keys[1].id, "region");
  ASSERT_EQ(cfg->teams.size(), 2u);
  EXPECT_EQ(cfg->router.fallbacks.size(), 2u);
  // Deployments know the file and line they came from (check's warnings name them).
  EXPECT_EQ(cfg->model_list[0].file, Path("shared/base.yaml"));
  EXPECT_EQ(cfg->model_list[0].line, 11);
  EXPECT_EQ(cfg->model_list[1].file, Path("regions/eu-west.yaml"));
  EXPECT_EQ(cfg->model_list[1].line, 6);
  EXPECT_THAT(cfg->files, ElementsAre(Path("regions/eu-west.yaml"), Path("shared/base.yaml")));
}

TEST_F(Include, IncludedFilesAreMergedInTheOrderListed) {
  Write("a.yaml", "node: {region: from-a, id: a}\n");
  Write("b.yaml", "node: {region: from-b}\n");
  Write("main.yaml", "include: [a.yaml, b.yaml]\n"
                     "model_list:\n"
                     "  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  auto cfg = Load(Path("main.yaml"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->node.region, "from-b");
  EXPECT_EQ(cfg->node.id, "a");
}

TEST_F(Include, NestedIncludesAreRelativeToTheirOwnFile) {
  Write("shared/models.yaml",
        "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  Write("shared/base.yaml", "include: models.yaml\nnode: {region: base}\n");  // one file: a string
  Write("regions/r.yaml", "include:\n  - ../shared/base.yaml\n");
  auto cfg = Load(Path("regions/r.yaml"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->node.region, "base");
  EXPECT_EQ(cfg->model_list.size(), 1u);
  EXPECT_EQ(cfg->files.size(), 3u);
}

TEST_F(Include, ErrorsNameTheFileAndLineOfTheValue) {
  Write("shared.yaml", "node:\n  region: eu-west\n  workers: -1\nkeys:\n  - {id: k}\n");
  Write("main.yaml", "include: [shared.yaml]\nnode: {listen: nonsense}\n"
                     "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              ElementsAre(Path("main.yaml") + ":2: node.listen: must be \"host:port\", not 'nonsense'",
                          Path("shared.yaml") + ":3: node.workers: must be >= 0",
                          Path("shared.yaml") + ":5: keys.0.key_sha256: is required"));
}

TEST_F(Include, UnknownKeyAndCrossReferenceErrorsInIncludedFiles) {
  Write("shared.yaml", "router_settings:\n  fallbacks: [{m: [nowhere]}]\n  retries: 3\n");
  Write("main.yaml", "include: [shared.yaml]\n"
                     "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              ElementsAre(Path("shared.yaml") +
                              ":2: router_settings.fallbacks.0.m.0: unknown model_name 'nowhere' "
                              "(not in model_list)",
                          Path("shared.yaml") + ":3: router_settings.retries: unknown key"));
}

TEST_F(Include, MissingIncludedFileNamesTheIncludingLine) {
  Write("main.yaml", "node: {region: x}\ninclude:\n  - there.yaml\n  - nope.yaml\n");
  Write("there.yaml", "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              ElementsAre(Path("main.yaml") + ":4: include.1: cannot read included file " +
                          Path("nope.yaml") + ": file not found"));
}

TEST_F(Include, DirectoryIsNotAConfigFile) {
  std::filesystem::create_directories(Path("dir.yaml"));
  Write("main.yaml", "include: [dir.yaml]\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              ElementsAre(Path("main.yaml") + ":1: include.0: cannot read included file " +
                              Path("dir.yaml") + ": not a regular file",
                          Path("main.yaml") + ":1: model_list: is required: the node needs at "
                                              "least one deployment"));
}

TEST_F(Include, UnreadableIncludedFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  std::string p = Write("secret.yaml", "node: {}\n");
  std::filesystem::permissions(p, std::filesystem::perms::none);
  Write("main.yaml", "include: [secret.yaml]\n");
  EXPECT_THAT(ErrorsOf("main.yaml")[0], HasSubstr(":1: include.0: cannot read included file"));
}

TEST_F(Include, MalformedIncludedFileNamesItsLineAndTheInclude) {
  Write("bad.yaml", "node:\n  region: [unclosed\n");
  Write("main.yaml", "# region\ninclude: [bad.yaml]\n");
  auto errors = ErrorsOf("main.yaml");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr("model_list: is required"));
  EXPECT_EQ(errors[1], Path("bad.yaml") + ":3: YAML syntax error: end of sequence flow not found "
                                          "(in a file included from " + Path("main.yaml") + ":2)");
}

TEST_F(Include, IncludedFileMustBeAMapping) {
  Write("list.yaml", "- a\n- b\n");
  Write("main.yaml", "include: [list.yaml]\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              Contains(Path("list.yaml") + ":1: an included file must be a mapping of sections (node:, "
                                  "model_list:, ...) (in a file included from " +
                  Path("main.yaml") + ":1)"));
}

TEST_F(Include, EmptyIncludedFileAddsNothing) {
  Write("empty.yaml", "# nothing yet\n");
  Write("main.yaml", "include: [empty.yaml]\n"
                     "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  EXPECT_TRUE(Load(Path("main.yaml")).ok());
}

TEST_F(Include, Cycles) {
  Write("a.yaml", "include: [b.yaml]\n");
  Write("b.yaml", "node: {}\ninclude: [a.yaml]\n");
  EXPECT_THAT(ErrorsOf("a.yaml"), Contains(Path("b.yaml") + ":2: include.0: include cycle: " +
                                           Path("a.yaml") + " -> " + Path("b.yaml") + " -> " +
                                           Path("a.yaml")));
  Write("self.yaml", "include: [./self.yaml]\n");
  EXPECT_THAT(ErrorsOf("self.yaml"), Contains(Path("self.yaml") + ":1: include.0: include cycle: " +
                                              Path("self.yaml") + " -> " + Path("self.yaml")));
  // A symlink is the same file.
  std::filesystem::create_symlink(Path("a.yaml"), Path("link.yaml"));
  Write("c.yaml", "include: [link.yaml]\n");
  Write("a.yaml", "include: [c.yaml]\n");
  EXPECT_THAT(ErrorsOf("a.yaml"), Contains(HasSubstr("include.0: include cycle: ")));
}

TEST_F(Include, AFileIsMergedOnce) {
  Write("common.yaml", "teams: [{name: t}]\n");
  Write("eu.yaml", "include: [common.yaml]\n");
  Write("main.yaml", "include: [eu.yaml, common.yaml]\n"
                     "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              ElementsAre(Path("main.yaml") + ":1: include.1: " + Path("common.yaml") +
                          " is already included (" + Path("eu.yaml") +
                          ":1); each file is merged once"));
}

TEST_F(Include, DepthIsLimited) {
  for (int i = 0; i < kMaxIncludeDepth + 1; ++i) {
    Write("f" + std::to_string(i) + ".yaml", "include: [f" + std::to_string(i + 1) + ".yaml]\n");
  }
  Write("f" + std::to_string(kMaxIncludeDepth + 1) + ".yaml", "node: {}\n");
  EXPECT_THAT(ErrorsOf("f0.yaml"), Contains(Path("f" + std::to_string(kMaxIncludeDepth) + ".yaml") +
                           ":1: include.0: includes nest deeper than 8 files"));
}

TEST_F(Include, ValueShapes) {
  Write("main.yaml", "include: {a: b}\n");
  EXPECT_THAT(ErrorsOf("main.yaml")[0], Path("main.yaml") + ":1: include: must be a list of files");
  Write("main.yaml", "include: [\"\", ~, [x]]\n");
  auto errors = ErrorsOf("main.yaml");
  EXPECT_EQ(errors[0], Path("main.yaml") + ":1: include.0: must not be empty");
  EXPECT_EQ(errors[1], Path("main.yaml") + ":1: include.1: must not be empty");
  EXPECT_EQ(errors[2], Path("main.yaml") + ":1: include.2: must be a string");
  setenv("INCLUDE_TEST_FILE", "env.yaml", 1);
  Write("env.yaml", "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  Write("main.yaml", "include: [os.environ/INCLUDE_TEST_FILE]\n");
  EXPECT_TRUE(Load(Path("main.yaml")).ok());
  unsetenv("INCLUDE_TEST_FILE");
}

TEST_F(Include, FilesReadAreReportedAlsoOnFailure) {
  Write("main.yaml", "include: [a.yaml, missing.yaml]\n");
  Write("a.yaml", "node: {}\n");
  std::vector<std::string> files;
  LoadOptions options;
  options.files_read = &files;
  EXPECT_FALSE(Load(Path("main.yaml"), nullptr, options).ok());
  EXPECT_THAT(files, ElementsAre(Path("main.yaml"), Path("a.yaml"), Path("missing.yaml")));
}

TEST_F(Include, TypeConflictsAndNullReplace) {
  // A later non-mapping replaces the mapping (and is then reported where it is written); a
  // later null resets a key to its default.
  Write("shared.yaml", "node: {region: r, workers: 3}\nrouter_settings: {num_retries: 5}\n");
  Write("main.yaml", "include: [shared.yaml]\nnode: {workers: ~}\nrouter_settings: 7\n"
                     "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  EXPECT_THAT(ErrorsOf("main.yaml"),
              ElementsAre(Path("main.yaml") + ":3: router_settings: must be a mapping"));
  Write("main.yaml", "include: [shared.yaml]\nnode: {workers: ~}\n"
                     "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n");
  auto cfg = Load(Path("main.yaml"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->node.workers, 0);
  EXPECT_EQ(cfg->node.region, "r");
  EXPECT_EQ(cfg->router.num_retries, 5);
}

// An in-memory source, as the fuzzer uses: nothing touches the disk.
class MemoryFiles : public FileSource {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> Read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return NotFound("file not found");
    return it->second;
  }
  std::string Identity(const std::string& path) const override { return path; }
};

TEST(IncludeSource, ReadsThroughTheGivenSource) {
  MemoryFiles mem;
  mem.files["/v/shared.yaml"] =
      "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n";
  LoadOptions options;
  options.files = &mem;
  auto cfg = LoadFromString("include: [shared.yaml]\n", "/v/main.yaml", nullptr, options);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[0].file, "/v/shared.yaml");
  EXPECT_EQ(cfg->model_list[0].line, 2);
}

}  // namespace
}  // namespace edge::config
