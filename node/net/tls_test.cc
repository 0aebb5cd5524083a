// TlsSession pairs talking through memory: ciphertext is pumped between a server and a client
// session, no sockets. Certificates come from tests/certs/make_test_certs.sh.

#include "node/net/tls.h"

#include <gtest/gtest.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace edge::net {
namespace {

// One end of an in-memory connection.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual std::string Take() = 0;
  // Hands over ciphertext from the other end and lets this end process it.
  virtual void Deliver(const std::string& bytes) = 0;
};

class SessionPeer : public Peer {
 public:
  explicit SessionPeer(std::unique_ptr<TlsSession> s) : session(std::move(s)) {}
  std::string Take() override { return session->TakeCiphertext(); }
  void Deliver(const std::string& bytes) override {
    session->FeedCiphertext(bytes.data(), bytes.size());
    Status s = session->ReadPlaintext(&got, &closed);
    if (!s.ok() && status.ok()) status = s;
  }

  std::unique_ptr<TlsSession> session;
  std::string got;
  bool closed = false;
  Status status;
};

// A bare mbedTLS endpoint, for peers our contexts refuse to be (TLS 1.1) and to observe SNI.
class RawPeer : public Peer {
 public:
  RawPeer(int endpoint, int max_minor, const std::string& cert = "", const std::string& key = "") {
    mbedtls_ssl_init(&ssl_);
    mbedtls_ssl_config_init(&conf_);
    mbedtls_x509_crt_init(&crt_);
    mbedtls_pk_init(&pk_);
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    EXPECT_EQ(mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, nullptr, 0), 0);
    EXPECT_EQ(mbedtls_ssl_config_defaults(&conf_, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT),
              0);
    mbedtls_ssl_conf_min_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_1);
    mbedtls_ssl_conf_max_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, max_minor);
    mbedtls_ssl_conf_rng(&conf_, mbedtls_ctr_drbg_random, &drbg_);
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);
    if (!cert.empty()) {
      EXPECT_EQ(mbedtls_x509_crt_parse_file(&crt_, cert.c_str()), 0);
      EXPECT_EQ(mbedtls_pk_parse_keyfile(&pk_, key.c_str(), nullptr), 0);
      EXPECT_EQ(mbedtls_ssl_conf_own_cert(&conf_, &crt_, &pk_), 0);
      mbedtls_ssl_conf_sni(&conf_, &RawPeer::OnSni, this);
    }
    EXPECT_EQ(mbedtls_ssl_setup(&ssl_, &conf_), 0);
    mbedtls_ssl_set_bio(&ssl_, this, &RawPeer::Send, &RawPeer::Recv, nullptr);
  }
  ~RawPeer() override {
    mbedtls_ssl_free(&ssl_);
    mbedtls_ssl_config_free(&conf_);
    mbedtls_x509_crt_free(&crt_);
    mbedtls_pk_free(&pk_);
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
  }

  void Step() {
    if (rc_ != 0 || done_) return;
    int rc = mbedtls_ssl_handshake(&ssl_);
    if (rc == 0) {
      done_ = true;
    } else if (rc != MBEDTLS_ERR_SSL_WANT_READ) {
      rc_ = rc;
    }
  }
  std::string Take() override { return std::exchange(out_, std::string()); }
  void Deliver(const std::string& bytes) override {
    in_ += bytes;
    Step();
  }

  int rc() const { return rc_; }
  bool done() const { return done_; }
  bool sni_seen() const { return sni_seen_; }
  const std::string& sni() const { return sni_; }

 private:
  static int Send(void* self, const unsigned char* buf, size_t len) {
    static_cast<RawPeer*>(self)->out_.append(reinterpret_cast<const char*>(buf), len);
    return static_cast<int>(len);
  }
  static int Recv(void* self, unsigned char* buf, size_t len) {
    auto* p = static_cast<RawPeer*>(self);
    if (p->in_.empty()) return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = std::min(len, p->in_.size());
    std::memcpy(buf, p->in_.data(), n);
    p->in_.erase(0, n);
    return static_cast<int>(n);
  }
  static int OnSni(void* self, mbedtls_ssl_context*, const unsigned char* name, size_t len) {
    auto* p = static_cast<RawPeer*>(self);
    p->sni_seen_ = true;
    p->sni_.assign(reinterpret_cast<const char*>(name), len);
    return 0;
  }

  mbedtls_ssl_context ssl_;
  mbedtls_ssl_config conf_;
  mbedtls_x509_crt crt_;
  mbedtls_pk_context pk_;
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
  std::string in_, out_, sni_;
  int rc_ = 0;
  bool done_ = false;
  bool sni_seen_ = false;
};

// Moves ciphertext both ways until neither end has anything left to send.
void Pump(Peer& a, Peer& b) {
  for (int i = 0; i < 10000; ++i) {
    std::string from_a = a.Take();
    std::string from_b = b.Take();
    if (from_a.empty() && from_b.empty()) return;
    if (!from_a.empty()) b.Deliver(from_a);
    if (!from_b.empty()) a.Deliver(from_b);
  }
  ADD_FAILURE() << "the pump never settled";
}

std::string Pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + seed) % 251);
  return s;
}

class TlsTest : public ::testing::Test {
 protected:
  // Certificates go beside the test binary: the script is idempotent and locked, so the
  // test processes ctest starts share one set. Files a test writes go to a private temp dir.
  static void SetUpTestSuite() {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    certs_ = new std::string(
        ((ec ? std::filesystem::temp_directory_path() : exe.parent_path()) / "tls_test_certs")
            .string());
    char tmpl[] = "/tmp/edge_tls_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new std::string(tmpl);
    std::string cmd =
        std::string("sh " EDGE_SOURCE_DIR "/tests/certs/make_test_certs.sh ") + *certs_;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*scratch_);
    delete scratch_;
    delete certs_;
  }
  static std::string Path(const std::string& name) { return *certs_ + "/" + name; }
  static std::string Scratch(const std::string& name) { return *scratch_ + "/" + name; }

  static std::shared_ptr<TlsServerContext> Server(const std::string& name = "server") {
    auto ctx = TlsServerContext::Load(Path(name + ".crt"), Path(name + ".key"));
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    return ctx.ok() ? *ctx : nullptr;
  }
  static std::shared_ptr<TlsClientContext> Client(bool verify = true,
                                                  const std::string& ca = "ca.crt") {
    auto ctx = TlsClientContext::Create(verify, ca.empty() ? "" : Path(ca));
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    return ctx.ok() ? *ctx : nullptr;
  }

  // A handshake of a fresh client for `host` against a server with certificate `cert`.
  struct Pair {
    std::unique_ptr<SessionPeer> server, client;
  };
  static Pair Connect(const std::string& host, const std::string& cert = "server",
                      std::shared_ptr<TlsClientContext> client_ctx = nullptr) {
    if (client_ctx == nullptr) client_ctx = Client();
    Pair p;
    p.server = std::make_unique<SessionPeer>(TlsSession::NewServer(Server(cert)));
    p.client = std::make_unique<SessionPeer>(TlsSession::NewClient(client_ctx, host));
    EXPECT_TRUE(p.client->session->Start().ok());
    Pump(*p.client, *p.server);
    return p;
  }
  static void ExpectConnected(const Pair& p) {
    EXPECT_TRUE(p.client->status.ok()) << p.client->status.ToString();
    EXPECT_TRUE(p.server->status.ok()) << p.server->status.ToString();
    EXPECT_TRUE(p.client->session->HandshakeDone());
    EXPECT_TRUE(p.server->session->HandshakeDone());
  }

  static std::string* certs_;
  static std::string* scratch_;
};

std::string* TlsTest::certs_ = nullptr;
std::string* TlsTest::scratch_ = nullptr;

TEST_F(TlsTest, HandshakeAndDataBothWays) {
  Pair p = Connect("localhost");
  ExpectConnected(p);
  ASSERT_TRUE(p.client->session->WritePlaintext("GET / HTTP/1.1\r\n\r\n").ok());
  Pump(*p.client, *p.server);
  EXPECT_EQ(p.server->got, "GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(p.server->session->WritePlaintext("HTTP/1.1 200 OK\r\n\r\n").ok());
  Pump(*p.client, *p.server);
  EXPECT_EQ(p.client->got, "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_FALSE(p.client->closed);
  EXPECT_FALSE(p.server->closed);
}

TEST_F(TlsTest, WritesBeforeHandshakeAreSentAfterIt) {
  SessionPeer server(TlsSession::NewServer(Server()));
  SessionPeer client(TlsSession::NewClient(Client(), "localhost"));
  // No Start(): the first write starts the handshake.
  ASSERT_TRUE(client.session->WritePlaintext("early ").ok());
  ASSERT_TRUE(client.session->WritePlaintext("request").ok());
  EXPECT_TRUE(client.session->HasCiphertext());
  ASSERT_TRUE(server.session->WritePlaintext("server first").ok());
  Pump(client, server);
  EXPECT_TRUE(client.status.ok()) << client.status.ToString();
  EXPECT_EQ(server.got, "early request");
  EXPECT_EQ(client.got, "server first");
}

TEST_F(TlsTest, LargeDataBothWays) {
  Pair p = Connect("localhost");
  ExpectConnected(p);
  const std::string up = Pattern(1 << 20, 1);
  const std::string down = Pattern(1 << 20, 2);
  ASSERT_TRUE(p.client->session->WritePlaintext(up).ok());
  ASSERT_TRUE(p.server->session->WritePlaintext(down).ok());
  Pump(*p.client, *p.server);
  EXPECT_TRUE(p.client->status.ok()) << p.client->status.ToString();
  EXPECT_TRUE(p.server->status.ok()) << p.server->status.ToString();
  EXPECT_TRUE(p.server->got == up) << p.server->got.size();
  EXPECT_TRUE(p.client->got == down) << p.client->got.size();
}

TEST_F(TlsTest, RsaServerKey) {
  Pair p = Connect("localhost", "server-rsa");
  ExpectConnected(p);
}

TEST_F(TlsTest, HostNameMismatchFailsNamingTheCause) {
  Pair p = Connect("localhost", "wrong-name");
  ASSERT_FALSE(p.client->status.ok());
  EXPECT_EQ(p.client->status.code(), Code::kUnavailable);
  EXPECT_EQ(p.client->status.message(),
            "TLS handshake with localhost failed: certificate verification failed: The "
            "certificate Common Name (CN) does not match with the expected CN");
  EXPECT_FALSE(p.client->session->HandshakeDone());

  Pair q = Connect("wrong.example");  // server.crt names localhost and loopback IPs only
  ASSERT_FALSE(q.client->status.ok());
  EXPECT_NE(q.client->status.message().find("TLS handshake with wrong.example failed: "
                                            "certificate verification failed: The certificate "
                                            "Common Name (CN) does not match"),
            std::string::npos)
      << q.client->status.message();
}

TEST_F(TlsTest, IpHostsAreMatchedAgainstIpSans) {
  ExpectConnected(Connect("127.0.0.1"));
  ExpectConnected(Connect("::1"));
  ExpectConnected(Connect("[::1]"));

  for (const char* host : {"127.0.0.2", "::2", "10.0.0.1"}) {
    Pair p = Connect(host);
    ASSERT_FALSE(p.client->status.ok()) << host;
    const std::string& m = p.client->status.message();
    EXPECT_EQ(m.rfind(std::string("TLS handshake with ") + host +
                          " failed: certificate verification failed: The certificate Common "
                          "Name (CN) does not match with the expected CN",
                      0),
              0u)
        << m;
    EXPECT_NE(m.find(std::string("no iPAddress subject-alternative name")), std::string::npos);
  }
  // wrong-name.crt has no IP SAN at all.
  EXPECT_FALSE(Connect("127.0.0.1", "wrong-name").client->status.ok());
}

TEST_F(TlsTest, SniIsSentForNamesOnly) {
  for (const char* host : {"localhost", "127.0.0.1", "::1"}) {
    RawPeer server(MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_MINOR_VERSION_3, Path("server.crt"),
                   Path("server.key"));
    SessionPeer client(TlsSession::NewClient(Client(), host));
    ASSERT_TRUE(client.session->Start().ok());
    Pump(client, server);
    EXPECT_TRUE(client.status.ok()) << host << ": " << client.status.ToString();
    EXPECT_TRUE(server.done()) << host;
    bool is_name = std::string(host) == "localhost";
    EXPECT_EQ(server.sni_seen(), is_name) << host;
    if (is_name) {
      EXPECT_EQ(server.sni(), "localhost");
    }
  }
}

TEST_F(TlsTest, UnknownCaFails) {
  Pair p = Connect("localhost", "server", Client(true, "other-ca.crt"));
  ASSERT_FALSE(p.client->status.ok());
  EXPECT_NE(p.client->status.message().find("certificate verification failed: The certificate "
                                            "is not correctly signed by the trusted CA"),
            std::string::npos)
      << p.client->status.message();
  EXPECT_FALSE(p.client->session->HandshakeDone());
  // The server learns why from the client's alert.
  EXPECT_EQ(p.server->status.message(),
            "TLS handshake failed: the peer sent a fatal alert: unknown_ca (48)");
}

TEST_F(TlsTest, SystemBundleDoesNotTrustTheTestCa) {
  if (!std::filesystem::exists("/etc/ssl/certs/ca-certificates.crt")) GTEST_SKIP();
  auto ctx = TlsClientContext::Create(true, "");
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  Pair p = Connect("localhost", "server", *ctx);
  ASSERT_FALSE(p.client->status.ok());
  EXPECT_NE(p.client->status.message().find("not correctly signed by the trusted CA"),
            std::string::npos)
      << p.client->status.message();
}

TEST_F(TlsTest, VerifyFalseAcceptsAnything) {
  auto ctx = Client(false, "");
  ExpectConnected(Connect("wrong.example", "server", ctx));
  ExpectConnected(Connect("127.0.0.2", "wrong-name", ctx));
  ExpectConnected(Connect("localhost", "wrong-name", ctx));
}

TEST_F(TlsTest, ServerLoadErrorsAreClear) {
  auto missing_key = TlsServerContext::Load(Path("server.crt"), Scratch("nope.key"));
  ASSERT_FALSE(missing_key.ok());
  EXPECT_EQ(missing_key.status().code(), Code::kNotFound);
  EXPECT_EQ(missing_key.status().message(),
            "cannot read TLS key file '" + Scratch("nope.key") + "': No such file or directory");

  auto missing_cert = TlsServerContext::Load(Scratch("nope.crt"), Path("server.key"));
  ASSERT_FALSE(missing_cert.ok());
  EXPECT_NE(missing_cert.status().message().find("TLS certificate file '" + Scratch("nope.crt")),
            std::string::npos);

  std::ofstream(Scratch("garbage.key")) << "this is not a key\n";
  auto garbage = TlsServerContext::Load(Path("server.crt"), Scratch("garbage.key"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), Code::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("TLS key file '" + Scratch("garbage.key") +
                                            "' is not a valid private key"),
            std::string::npos)
      << garbage.status().message();

  auto garbage_cert = TlsServerContext::Load(Scratch("garbage.key"), Path("server.key"));
  ASSERT_FALSE(garbage_cert.ok());
  EXPECT_NE(garbage_cert.status().message().find("is not a valid certificate chain"),
            std::string::npos)
      << garbage_cert.status().message();

  std::ofstream(Scratch("empty.key")).flush();
  auto empty = TlsServerContext::Load(Path("server.crt"), Scratch("empty.key"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos);

  auto mismatch = TlsServerContext::Load(Path("server.crt"), Path("wrong-name.key"));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().message(), "TLS key file '" + Path("wrong-name.key") +
                                             "' does not match the certificate in '" +
                                             Path("server.crt") + "'");
}

TEST_F(TlsTest, ClientCaErrorsAreClear) {
  auto missing = TlsClientContext::Create(true, Scratch("nope.crt"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "cannot read TLS CA file '" + Scratch("nope.crt") + "': No such file or directory");
  std::ofstream(Scratch("garbage.crt")) << "-----BEGIN CERTIFICATE-----\nnope\n";
  auto garbage = TlsClientContext::Create(true, Scratch("garbage.crt"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("holds no usable certificate"), std::string::npos)
      << garbage.status().message();
  // verify=false never reads the file.
  EXPECT_TRUE(TlsClientContext::Create(false, Scratch("nope.crt")).ok());
}

TEST_F(TlsTest, CloseNotifySetsPeerClosed) {
  Pair p = Connect("localhost");
  ExpectConnected(p);
  ASSERT_TRUE(p.server->session->WritePlaintext("last words").ok());
  p.server->session->Shutdown();
  Pump(*p.client, *p.server);
  EXPECT_EQ(p.client->got, "last words");
  EXPECT_TRUE(p.client->closed);
  EXPECT_TRUE(p.client->status.ok()) << p.client->status.ToString();
  EXPECT_FALSE(p.server->session->WritePlaintext("more").ok());

  Pair q = Connect("localhost");
  q.client->session->Shutdown();
  Pump(*q.client, *q.server);
  EXPECT_TRUE(q.server->closed);
  EXPECT_TRUE(q.server->status.ok()) << q.server->status.ToString();
}

TEST_F(TlsTest, Tls11ClientIsRefused) {
  SessionPeer server(TlsSession::NewServer(Server()));
  RawPeer client(MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_MINOR_VERSION_2);
  client.Step();  // ClientHello offering at most TLS 1.1
  Pump(client, server);
  ASSERT_FALSE(server.status.ok());
  EXPECT_NE(server.status.message().find("TLS handshake failed: "), std::string::npos);
  EXPECT_NE(server.status.message().find("not within min/max boundaries"), std::string::npos)
      << server.status.message();
  EXPECT_NE(client.rc(), 0);
  EXPECT_FALSE(client.done());
}

TEST_F(TlsTest, Tls11ServerIsRefused) {
  RawPeer server(MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_MINOR_VERSION_2, Path("server.crt"),
                 Path("server.key"));
  SessionPeer client(TlsSession::NewClient(Client(), "localhost"));
  ASSERT_TRUE(client.session->Start().ok());
  Pump(client, server);
  ASSERT_FALSE(client.status.ok());
  EXPECT_NE(client.status.message().find("TLS handshake with localhost failed: "),
            std::string::npos);
  EXPECT_NE(client.status.message().find("not within min/max boundaries"), std::string::npos)
      << client.status.message();
  EXPECT_FALSE(server.done());
}

TEST_F(TlsTest, PlainHttpToTlsServerFails) {
  SessionPeer server(TlsSession::NewServer(Server()));
  server.Deliver("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(server.status.ok());
  EXPECT_EQ(server.status.message().rfind("TLS handshake failed: SSL - ", 0), 0u)
      << server.status.message();
  // The error is sticky.
  std::string got;
  bool closed = false;
  EXPECT_EQ(server.session->ReadPlaintext(&got, &closed).message(), server.status.message());
  EXPECT_EQ(server.session->WritePlaintext("x").message(), server.status.message());
}

// Contexts are shared by all workers: handshakes on several threads at once.
TEST_F(TlsTest, SharedContextsAcrossThreads) {
  auto server_ec = Server();
  auto server_rsa = Server("server-rsa");
  auto client_ctx = Client();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        SessionPeer server(TlsSession::NewServer(t % 2 ? server_rsa : server_ec));
        SessionPeer client(TlsSession::NewClient(client_ctx, i % 2 ? "127.0.0.1" : "localhost"));
        if (!client.session->Start().ok()) continue;
        Pump(client, server);
        if (!client.session->WritePlaintext("ping").ok()) continue;
        Pump(client, server);
        if (client.status.ok() && server.status.ok() && server.got == "ping") ++ok[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 5) << "thread " << t;
}

}  // namespace
}  // namespace edge::net
