// Hostile bodies against a real node on every client endpoint (issue 7): the bodies that
// once killed the whole process (a number of ~780 digits), the numbers, nesting and bytes
// that break JSON readers; then a burst of fuzzer-made bodies on each endpoint over a few
// keep-alive connections. Every complete request gets an answer, a hostile body is 200 or
// a 400 with the endpoint's error shape, and afterwards the node still answers /healthz.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

enum class Endpoint { kChat, kResponses, kEmbeddings, kMessages };
constexpr Endpoint kAllEndpoints[] = {Endpoint::kChat, Endpoint::kResponses, Endpoint::kEmbeddings,
                                      Endpoint::kMessages};

struct EndpointFacts {
  const char* name;  // in test names
  const char* path;
  // A valid body of the endpoint's API with %s where a hostile value goes, at a number the
  // node may read, at a field it does not know, and inside a structure it walks.
  std::vector<const char*> number_templates;
  const char* string_template;  // %s inside a string the node reads (text to count, input)
};

const EndpointFacts& Facts(Endpoint e) {
  static const EndpointFacts kFacts[] = {
      {"Chat",
       "/v1/chat/completions",
       {R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":%s})",
        R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":%s,"seed":%s})",
        R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"x_extra":{"a":[%s]}})",
        R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"logit_bias":{"1":%s}})"},
       R"({"model":"chat","messages":[{"role":"user","content":"%s"}]})"},
      {"Responses",
       "/v1/responses",
       {R"({"model":"chat","input":"hi","temperature":%s})",
        R"({"model":"chat","input":"hi","max_output_tokens":%s,"top_p":%s})",
        R"({"model":"chat","input":"hi","metadata":{"a":"b"},"x_extra":[%s]})",
        R"({"model":"chat","input":[{"role":"user","content":[{"type":"input_text","text":"hi","n":%s}]}]})"},
       R"({"model":"chat","input":"%s","instructions":"Be brief."})"},
      {"Embeddings",
       "/v1/embeddings",
       // Not at "dimensions": the fake would build a vector of that many numbers.
       {R"({"model":"embed","input":"hi","encoding_format":"float","user":"u","n":%s})",
        R"({"model":"embed","input":[[1,%s,3]]})",
        R"({"model":"embed","input":"hi","x_extra":{"a":%s}})",
        R"({"model":"embed","input":[%s]})"},
       R"({"model":"embed","input":["%s"]})"},
      {"Messages",
       "/v1/messages",
       {R"({"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"temperature":%s})",
        R"({"model":"chat","max_tokens":%s,"messages":[{"role":"user","content":"hi"}],"top_k":%s})",
        R"({"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"metadata":{"x":[%s]}})",
        R"({"model":"chat","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"hi","x":%s}]}]})"},
       R"({"model":"chat","max_tokens":10,"system":"%s","messages":[{"role":"user","content":"%s"}]})"},
  };
  return kFacts[static_cast<int>(e)];
}

// gtest's name for a parameter in its messages.
void PrintTo(Endpoint e, std::ostream* os) { *os << Facts(e).name; }

std::map<std::string, std::string> HeadersFor(Endpoint e) {
  auto h = AuthHeaders();
  if (e == Endpoint::kMessages) h["anthropic-version"] = "2023-06-01";
  return h;
}

// Every %s of `tmpl` replaced by `value`.
std::string Fill(const std::string& tmpl, const std::string& value) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl.compare(i, 2, "%s") == 0) {
      out += value;
      ++i;
    } else {
      out += tmpl[i];
    }
  }
  return out;
}

std::string Digits(size_t n, char first = '1') {
  std::string s(1, first);
  for (size_t i = 1; i < n; ++i) s += static_cast<char>('0' + (i * 7) % 10);
  return s;
}

// Number texts that break readers: beyond double and 64-bit range, 800 digits, exponents
// no float holds, forms JSON does not allow.
std::vector<std::string> HostileNumbers() {
  return {"1e999999999", "-1E+400", "1e-999999999", "4.9e-325", "1.7976931348623159e308",
          "2.2250738585072011e-308", "18446744073709551616", "-9223372036854775809", Digits(800),
          "-" + Digits(800), "0." + std::string(799, '0') + "1", Digits(400) + "." + Digits(400),
          "0." + std::string(780, '0') + "18446744073709551615", Digits(800) + "e" + Digits(400),
          "0e" + Digits(800), "-0", "-0.0e-0",
          // not JSON
          "NaN", "Infinity", "-", "01", "1.", ".5", "1e", "+1", "0x10", "1e+", "--1", "1.2.3",
          "1" + std::string(5000, '0') + "e-5000"};
}

// The bytes of a JSON string's contents that are not text: invalid UTF-8, NUL, lone
// surrogates (raw and escaped), broken escapes.
std::vector<std::string> HostileStrings() {
  return {"\xff\xfe",
          "\xc0\xaf",
          "\xed\xa0\x80",
          "a\xe2\x82",
          "\xf4\x90\x80\x80",
          std::string("a\0b", 3),
          std::string(1, '\0'),
          "\\u0000",
          "\\ud800",
          "\\udc00",
          "\\ud800\\u0041",
          "\\ud800\\ud800",
          "\\uDFFF\\uD800",
          "x\\ud800",
          "\\u12",
          "\\x41",
          "\\",
          "\\uZZZZ",
          "\x01\x1f",
          "\\ud83d\\ude00 fine",
          "\xef\xbb\xbf"};
}

// {"a":{"a":...1...}}, `depth` deep.
std::string NestedObjects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  return s + "1" + std::string(static_cast<size_t>(depth), '}');
}

// Whole bodies: duplicate keys, nesting beyond any stack, a number at the very end, bodies
// that are not objects, NUL bytes, and the finding bodies as they were sent.
std::vector<std::string> HostileWholeBodies(Endpoint e) {
  const std::string valid = Fill(Facts(e).number_templates[0], "1");
  const std::string model = e == Endpoint::kEmbeddings ? "embed" : "chat";
  std::vector<std::string> bodies = {
      // duplicate keys
      R"({"model":")" + model + R"(","model":"other",)" + valid.substr(valid.find(',') + 1),
      valid.substr(0, valid.size() - 1) + R"(,"stream":false,"stream":true})",
      valid.substr(0, valid.size() - 1) + R"(,"temperature":1,"temperature":)" + Digits(800) + "}",
      R"({"model":")" + model + R"(","model":")" + model + "\"," +
          valid.substr(valid.find(',') + 1),
      // nesting
      std::string(100000, '['),
      std::string(100000, '[') + std::string(100000, ']'),
      valid.substr(0, valid.size() - 1) + ",\"x\":" + std::string(50000, '[') +
          std::string(50000, ']') + "}",
      valid.substr(0, valid.size() - 1) + ",\"x\":" + NestedObjects(20000) + "}",
      // a number at the very end of the body
      valid.substr(0, valid.size() - 1) + ",\"temperature\":0.5",
      valid.substr(0, valid.size() - 1) + ",\"temperature\":" + Digits(800),
      valid.substr(0, valid.size() - 1) + ",\"temperature\":1e",
      "12345",
      Digits(800),
      "0." + std::string(800, '0'),
      "-",
      "1e999999999",
      // not an object
      "",
      "null",
      "[]",
      "\"str\"",
      "{}",
      "{",
      "}",
      "true",
      " ",
      // NUL bytes and what follows a value
      std::string(1, '\0'),
      valid + std::string(1, '\0'),
      std::string(1, '\0') + valid,
      valid.substr(0, 10) + std::string(1, '\0') + valid.substr(10),
      valid + "x",
      valid + valid,
      "\xef\xbb\xbf" + valid,
  };
  for (const char* name :
       {"messages-long-number.json", "responses-long-number.json", "client_api-long-number.bin"}) {
    bodies.push_back(ReadFile(SourceDir() + "/tests/e2e/testdata/hostile/" + name));
  }
  return bodies;
}

// Every hostile body of `e`, numbers and strings in each template.
std::vector<std::string> AllHostileBodies(Endpoint e) {
  std::vector<std::string> bodies = HostileWholeBodies(e);
  for (const std::string& n : HostileNumbers()) {
    for (const char* t : Facts(e).number_templates) bodies.push_back(Fill(t, n));
  }
  for (const std::string& s : HostileStrings()) bodies.push_back(Fill(Facts(e).string_template, s));
  return bodies;
}

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b >> 6) != 2) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

// A 400 is the endpoint's error shape in valid UTF-8 JSON: Anthropic's for /v1/messages,
// else OpenAI's. Empty when it is.
std::string ErrorShapeProblem(Endpoint e, const Response& r) {
  if (!IsUtf8(r.body)) return "the error body is not UTF-8";
  rapidjson::Document d = ParseJson(r.body);
  if (d.HasParseError() || !d.IsObject()) return "the error body is not a JSON object";
  if (e == Endpoint::kMessages && JsonString(d, "type") != "error") return "type is not error";
  if (JsonString(d, "error.message").empty()) return "no error.message";
  if (JsonString(d, "error.type").empty()) return "no error.type";
  if (r.Header("x-edge-request-id").empty()) return "no X-Edge-Request-Id";
  return "";
}

std::string Shown(const std::string& body) {
  std::string s;
  for (char c : body.substr(0, 160)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      s += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      s += std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
    }
  }
  return s + (body.size() > 160 ? "... (" + std::to_string(body.size()) + " bytes)" : "");
}

// ---- fuzzer-made bodies ----

// Valid bodies of each API, streaming and not, to mutate.
std::vector<std::string> Seeds(Endpoint e) {
  switch (e) {
    case Endpoint::kChat:
      return {
          R"({"model":"chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello to the edge"}],"temperature":0.7,"max_tokens":50,"top_p":1,"seed":42})",
          R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})",
          R"({"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"weather?"}]}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"auto","n":1,"logit_bias":{"50256":-100},"response_format":{"type":"json_object"},"stream":false})"};
    case Endpoint::kResponses:
      return {
          R"({"model":"chat","instructions":"Be brief.","input":"Say hello to the edge","max_output_tokens":100,"temperature":0.2})",
          R"({"model":"chat","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"stream":true})",
          R"({"model":"chat","input":"hi","tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{}}}],"metadata":{"k":"v"},"top_p":0.5,"store":false})"};
    case Endpoint::kEmbeddings:
      return {R"({"model":"embed","input":"hello edge"})",
              R"({"model":"embed","input":["a","b"],"encoding_format":"float"})",
              R"({"model":"embed","input":[[1,2,3],[4,5]],"user":"u-1"})"};
    case Endpoint::kMessages:
      return {
          R"({"model":"chat","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Say hello to the edge"}],"temperature":0.5})",
          R"({"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true})",
          R"({"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"w"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"x":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"top_k":5,"stop_sequences":["x"]})"};
  }
  return {};
}

// Deterministic mutations in the manner of libFuzzer's: byte flips; insertions of digits,
// brackets, quotes, backslashes and escapes; truncations; splices with another seed.
class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<std::string>* splice_with)
      : rng_(seed), splice_with_(splice_with) {}

  std::string Mutate(std::string s) {
    for (int n = 1 + static_cast<int>(rng_() % 4); n > 0; --n) MutateOnce(s);
    return s;
  }

 private:
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  size_t Pos(const std::string& s) { return Below(s.size() + 1); }

  std::string NumberText() {
    switch (Below(5)) {
      case 0:
        return Digits(1 + Below(900), static_cast<char>('0' + Below(10)));
      case 1:
        return "0." + std::string(Below(800), '0') + Digits(1 + Below(40));
      case 2:
        return "e" + std::string(Below(2) ? "-" : "+") + Digits(1 + Below(12));
      case 3:
        return Digits(1 + Below(30)) + "." + Digits(1 + Below(30)) + "e" + Digits(1 + Below(5));
      default:
        return std::string(1, "0123456789-.eE+"[Below(15)]);
    }
  }

  void MutateOnce(std::string& s) {
    static const char* const kTokens[] = {"\"",
                                          "\\",
                                          "\\u",
                                          "\\ud800",
                                          "\\udc00",
                                          "\\u0000",
                                          "\\\"",
                                          "[",
                                          "]",
                                          "{",
                                          "}",
                                          ",",
                                          ":",
                                          "null",
                                          "true",
                                          "-0",
                                          "1e999999",
                                          "\xff",
                                          "\xc0\xaf",
                                          "\xed\xa0\x80",
                                          "\"stream\":true,",
                                          "\"model\":\"chat\",",
                                          "\"x\":{\"x\":[",
                                          "\t",
                                          "\r\n"};
    switch (Below(10)) {
      case 0:  // flip a bit
        if (!s.empty()) s[Below(s.size())] ^= static_cast<char>(1 << Below(8));
        break;
      case 1:  // a random byte
        if (!s.empty()) s[Below(s.size())] = static_cast<char>(rng_());
        break;
      case 2: {  // a number, often next to one already there
        size_t at = s.find_first_of("0123456789", Below(s.size()));
        s.insert(at == std::string::npos ? Pos(s) : at, NumberText());
        break;
      }
      case 3: {  // brackets, sometimes very many
        std::string run;
        size_t n = Below(8) == 0 ? 1000 + Below(20000) : 1 + Below(20);
        for (size_t i = 0; i < n; ++i) run += "[]{}"[Below(4) == 0 ? Below(4) : 0];
        s.insert(Pos(s), run);
        break;
      }
      case 4:  // quotes, backslashes, escapes, tokens
        s.insert(Pos(s), kTokens[Below(std::size(kTokens))]);
        break;
      case 5:  // truncate
        s.resize(Below(s.size()));
        break;
      case 6: {  // splice with another seed (of any API)
        const std::string& other = (*splice_with_)[Below(splice_with_->size())];
        s = s.substr(0, Pos(s)) + other.substr(Below(other.size()));
        break;
      }
      case 7: {  // duplicate a slice (duplicate keys, repeated members)
        size_t at = Below(s.size());
        s.insert(Pos(s), s.substr(at, 1 + Below(60)));
        break;
      }
      case 8:  // delete a slice
        if (!s.empty()) s.erase(Below(s.size()), 1 + Below(20));
        break;
      default:  // a NUL byte
        s.insert(Pos(s), 1, '\0');
    }
  }

  std::mt19937_64 rng_;
  const std::vector<std::string>* splice_with_;
};

// ---- the suite: one fake OpenAI and one node for all endpoints ----

class HostileBodies : public ::testing::TestWithParam<Endpoint> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fake_ = new FakeOpenAI(*dir_);
    ASSERT_TRUE(fake_->ok()) << fake_->process().Stderr();
    // The finding bodies name gpt-4o-mini.
    std::string base = fake_->base_url() + "/v1";
    node_ = new Node(
        *dir_, TestConfig(StandardModels(fake_->port(),
                                         OpenAiDeployment("gpt-4o-mini", "gpt-4o-mini", base)),
                          "", 2));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete fake_;
    delete dir_;
    node_ = nullptr;
    fake_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(node_ != nullptr && node_->ok()) << "no node";
    ASSERT_TRUE(node_->process().running()) << "the node died earlier: " << Log();
  }

  static Endpoint endpoint() { return GetParam(); }
  static std::string Log() {
    std::string err = node_->process().Stderr();
    return err.size() > 4000 ? err.substr(err.size() - 4000) : err;
  }
  // The node's process runs and its admin listener answers /healthz.
  static void ExpectNodeUp() {
    ASSERT_TRUE(node_->process().running())
        << "the node died, exit " << node_->process().Wait(0ms).value_or(-1) << ": " << Log();
    auto h = Request(node_->admin_port(), "GET", "/healthz", {}, {}, 10s);
    ASSERT_TRUE(h) << "no answer from /healthz";
    EXPECT_EQ(h->status, 200) << h->body;
  }

  static TempDir* dir_;
  static FakeOpenAI* fake_;
  static Node* node_;
};
TempDir* HostileBodies::dir_;
FakeOpenAI* HostileBodies::fake_;
Node* HostileBodies::node_;

TEST_P(HostileBodies, AreRefusedOrServedAndTheNodeStaysUp) {
  const EndpointFacts& facts = Facts(endpoint());
  const auto headers = HeadersFor(endpoint());
  std::unique_ptr<Connection> c;
  std::map<int, int> statuses;
  for (const std::string& body : AllHostileBodies(endpoint())) {
    SCOPED_TRACE(Shown(body));
    if (!c) c = Connection::Open(node_->port());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Send(RequestBytes("POST", facts.path, headers, body)));
    auto r = c->ReadResponse(15s);
    ASSERT_TRUE(r) << "no answer; node running: " << node_->process().running() << "\n" << Log();
    ++statuses[r->status];
    EXPECT_TRUE(r->status == 200 || r->status == 400) << r->status << " " << r->body;
    if (r->status == 400) {
      EXPECT_EQ(ErrorShapeProblem(endpoint(), *r), "") << r->body;
    } else if (r->status == 200) {
      EXPECT_FALSE(r->body.empty());
    }
    if (r->Header("connection") == "close") c.reset();
  }
  std::ostringstream seen;
  for (const auto& [status, n] : statuses) seen << status << ": " << n << "  ";
  RecordProperty("statuses", seen.str());
  ASSERT_NO_FATAL_FAILURE(ExpectNodeUp());
}

// A few thousand mutated bodies per endpoint over a few keep-alive connections, one thread
// each: every request gets an answer (any status), and the node is up afterwards.
TEST_P(HostileBodies, FuzzerMadeBurstIsAnsweredAndTheNodeStaysUp) {
  constexpr int kBodies = 3000;
  constexpr int kConnections = 4;
  const EndpointFacts& facts = Facts(endpoint());
  const auto headers = HeadersFor(endpoint());
  const std::vector<std::string> seeds = Seeds(endpoint());
  std::vector<std::string> all_seeds;
  for (Endpoint e : kAllEndpoints) {
    for (std::string& s : Seeds(e)) all_seeds.push_back(std::move(s));
  }

  struct Worker {
    std::map<int, int> statuses;
    std::vector<std::string> unanswered;  // the bodies that got no answer
    int reconnects = 0;
  };
  std::vector<Worker> workers(kConnections);
  std::vector<std::thread> threads;
  const uint16_t port = node_->port();
  for (int w = 0; w < kConnections; ++w) {
    threads.emplace_back([&, w] {
      Worker& me = workers[w];
      std::unique_ptr<Connection> c;
      // A few bodies without an answer say enough; the rest would each wait for the timeout.
      for (int i = w; i < kBodies && me.unanswered.size() < 3; i += kConnections) {
        // Each body depends on its index and the endpoint only.
        Mutator m(0x5eed0000u + static_cast<uint64_t>(endpoint()) * 100000 + i, &all_seeds);
        std::string body = m.Mutate(seeds[i % seeds.size()]);
        if (!c) {
          c = Connection::Open(port);
          ++me.reconnects;
        }
        if (!c || !c->Send(RequestBytes("POST", facts.path, headers, body))) {
          me.unanswered.push_back("(could not send) " + Shown(body));
          c.reset();
          continue;
        }
        auto r = c->ReadResponse(15s);
        if (!r) {
          me.unanswered.push_back(Shown(body));
          c.reset();
          continue;
        }
        ++me.statuses[r->status];
        if (r->Header("connection") == "close") c.reset();
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::map<int, int> statuses;
  int unanswered = 0, reconnects = 0;
  for (const Worker& w : workers) {
    for (const auto& [status, n] : w.statuses) statuses[status] += n;
    unanswered += static_cast<int>(w.unanswered.size());
    reconnects += w.reconnects;
    for (size_t i = 0; i < std::min<size_t>(w.unanswered.size(), 3); ++i) {
      ADD_FAILURE() << "no answer to: " << w.unanswered[i];
    }
  }
  std::ostringstream seen;
  for (const auto& [status, n] : statuses) seen << status << ": " << n << "  ";
  RecordProperty("statuses", seen.str());
  EXPECT_EQ(unanswered, 0) << "of " << kBodies << "; answers " << seen.str() << "\n" << Log();
  EXPECT_LE(reconnects, kConnections + kBodies / 10) << "answers are meant to keep the connection";
  ASSERT_NO_FATAL_FAILURE(ExpectNodeUp());
  auto r = Request(port, "POST", facts.path, headers, seeds[0], 15s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "a valid body after the burst: " << r->body;
}

INSTANTIATE_TEST_SUITE_P(EveryClientEndpoint, HostileBodies, ::testing::ValuesIn(kAllEndpoints),
                         [](const auto& info) { return std::string(Facts(info.param).name); });

}  // namespace
}  // namespace edge::e2e
