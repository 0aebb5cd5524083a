// Hot reload of a config made of several files (issue 12): a node watches its config file and
// every file it includes. Editing an included file changes what new requests get; a broken
// included file is refused with a log line that says why and the old config keeps serving;
// fixing it reloads; includes added by a reload are watched from then on; a stream in flight
// finishes on the config it started with.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/http_client.h"

namespace edge::e2e {
namespace {

class Reload : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeOpenAI>(dir_);
    ASSERT_TRUE(fake_->ok());
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  // As editors and config management write: a new file renamed over the old one.
  void Replace(const std::string& name, const std::string& text) {
    dir_.Write(name + ".tmp", text);
    std::filesystem::rename(Path(name + ".tmp"), Path(name));
  }
  // As `echo ... > file` writes: truncated and rewritten in place.
  void Overwrite(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::trunc) << text;
  }

  // model_list with `alias` sent upstream as `upstream` (models.yaml also has the `embed`
  // alias that TestConfig's keys name).
  std::string Models(const std::string& alias, const std::string& upstream,
                     bool with_embed = true) const {
    std::string base = fake_->base_url() + "/v1";
    return "model_list:\n" + OpenAiDeployment(alias, upstream, base) +
           (with_embed ? OpenAiDeployment("embed", "text-embedding-3-small", base) : "");
  }
  // The node's own file: no model_list of its own, everything else from TestConfig.
  std::string Main(const std::string& includes) const {
    std::string cfg = TestConfig("");
    cfg.replace(cfg.find("model_list:\n"), 12, "");
    return "include: [" + includes + "]\n" + cfg;
  }
  void Start() {
    node_ = std::make_unique<Node>(dir_, Main("models.yaml"), "reload");
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  // The `model=...` the fake echoed for a chat with `alias`, or the status and body.
  std::string Upstream(const std::string& alias) {
    auto r = Request(node_->port(), "POST", "/v1/chat/completions", AuthHeaders(),
                     ChatBody(alias, false));
    if (!r) return "no answer";
    if (r->status != 200) return std::to_string(r->status) + " " + r->body;
    size_t at = r->body.find("model=");
    return at == std::string::npos ? r->body : r->body.substr(at, r->body.find(' ', at) - at);
  }
  bool Reloaded(int nth) {
    return node_->process().WaitForLine("\"config reloaded\"", true, 20s, nth).has_value();
  }

  TempDir dir_;
  std::unique_ptr<FakeOpenAI> fake_;
  std::unique_ptr<Node> node_;
};

TEST_F(Reload, EditingAnIncludedFileReloadsAndABrokenOneIsRefused) {
  dir_.Write("models.yaml", Models("chat", "model-a"));
  Start();
  EXPECT_EQ(Upstream("chat"), "model=model-a");

  Replace("models.yaml", Models("chat", "model-b"));
  ASSERT_TRUE(Reloaded(1)) << node_->process().Stderr();
  EXPECT_EQ(Upstream("chat"), "model=model-b");

  // A broken included file: refused, the log line names the file, line and key, and the
  // config loaded before keeps serving.
  Overwrite("models.yaml", "model_list:\n  - model_name: chat\n    litellm_params: {model: nope/x}\n"
                           "  - model_name: embed\n    litellm_params: {model: openai/e, api_key: k}\n");
  auto refused = node_->process().WaitForLine("reload refused", true, 20s);
  ASSERT_TRUE(refused) << node_->process().Stderr();
  EXPECT_NE(refused->find(Path("models.yaml") +
                          ":3: model_list.0.litellm_params.model: unknown provider 'nope'"),
            std::string::npos)
      << *refused;
  EXPECT_NE(refused->find("\"trigger\":\"file change\""), std::string::npos) << *refused;
  EXPECT_EQ(Upstream("chat"), "model=model-b");

  // Not YAML at all: refused too, with the file's own line.
  Overwrite("models.yaml", "model_list: [unclosed\n");
  refused = node_->process().WaitForLine("reload refused", true, 20s, 2);
  ASSERT_TRUE(refused) << node_->process().Stderr();
  EXPECT_NE(refused->find(Path("models.yaml") + ":"), std::string::npos) << *refused;
  EXPECT_NE(refused->find("YAML syntax error"), std::string::npos) << *refused;
  EXPECT_EQ(Upstream("chat"), "model=model-b");

  // Fixed: reloaded.
  Overwrite("models.yaml", Models("chat", "model-c"));
  ASSERT_TRUE(Reloaded(2)) << node_->process().Stderr();
  EXPECT_EQ(Upstream("chat"), "model=model-c");
  EXPECT_EQ(node_->process().WaitForLine("\"config reloaded\"", true, 0s, 3), std::nullopt);
}

TEST_F(Reload, IncludesAddedByAReloadAreWatched) {
  dir_.Write("models.yaml", Models("chat", "model-a"));
  Start();
  dir_.Write("extra.yaml", Models("extra", "extra-1", false));
  EXPECT_NE(Upstream("extra").substr(0, 3), "200");  // not a model yet

  Replace("reload.yaml", Main("models.yaml, extra.yaml"));
  ASSERT_TRUE(Reloaded(1)) << node_->process().Stderr();
  EXPECT_EQ(Upstream("extra"), "model=extra-1");
  EXPECT_EQ(Upstream("chat"), "model=model-a");

  Overwrite("extra.yaml", Models("extra", "extra-2", false));  // now watched
  ASSERT_TRUE(Reloaded(2)) << node_->process().Stderr();
  EXPECT_EQ(Upstream("extra"), "model=extra-2");

  // An include of a file that does not exist yet: refused, naming the including line; the
  // node watches for the file, and creating it completes the config.
  Replace("reload.yaml", Main("models.yaml, extra.yaml, later.yaml"));
  auto refused = node_->process().WaitForLine("reload refused", true, 20s);
  ASSERT_TRUE(refused) << node_->process().Stderr();
  EXPECT_NE(refused->find(Path("reload.yaml") + ":1: include.2: cannot read included file " +
                          Path("later.yaml") + ": file not found"),
            std::string::npos)
      << *refused;
  dir_.Write("later.yaml", Models("later", "later-1", false));
  ASSERT_TRUE(Reloaded(3)) << node_->process().Stderr();
  EXPECT_EQ(Upstream("later"), "model=later-1");
}

TEST_F(Reload, AStreamInFlightFinishesOnTheConfigItStartedWith) {
  // Four content chunks a second apart: the stream outlives the reload.
  dir_.Write("models.yaml", Models("chat", "model-a@delay=1000@chunks=4"));
  Start();
  auto c = Connection::Open(node_->port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   ChatBody("chat", true))));
  std::string head = c->ReadUntil("model=model-a", 10s);
  ASSERT_NE(head.find("model=model-a"), std::string::npos) << head;

  Replace("models.yaml", Models("chat", "model-b"));
  ASSERT_TRUE(Reloaded(1)) << node_->process().Stderr();
  EXPECT_EQ(fake_->Stat("active_streams"), 1) << "the stream ended before the reload";
  EXPECT_EQ(Upstream("chat"), "model=model-b");  // new requests: the new config

  std::string rest = c->ReadUntil("[DONE]", 20s);
  // The rest of the old deployment's answer: its last content piece (pieces are
  // "model=...", " tok1", ... " tok3" for four chunks) and the end, without an error.
  EXPECT_NE(rest.find("\"model\":\"model-a\""), std::string::npos) << rest;
  EXPECT_NE(rest.find(" tok3"), std::string::npos) << rest;
  EXPECT_NE(rest.find("[DONE]"), std::string::npos) << rest;
  EXPECT_EQ(rest.find("error"), std::string::npos) << rest;
}

}  // namespace
}  // namespace edge::e2e
