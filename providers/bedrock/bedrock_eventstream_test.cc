#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "providers/bedrock/eventstream.h"

namespace edge::providers::bedrock {
namespace {

std::string ReadFile(const std::string& name) {
  std::ifstream in(EDGE_SOURCE_DIR "/providers/bedrock/testdata/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Decoded {
  std::string event_type, message_type, payload;
};

// Feeds `bytes` in pieces of `step` bytes; collects messages; returns the first error.
Status DecodeAll(std::string_view bytes, size_t step, std::vector<Decoded>* out,
                 EventStreamDecoder* decoder) {
  for (size_t pos = 0; pos < bytes.size(); pos += step) {
    Status s = decoder->Feed(bytes.substr(pos, step), [&](const EventMessage& m) {
      out->push_back({std::string(m.StringHeader(":event-type")),
                      std::string(m.StringHeader(":message-type")), std::string(m.payload)});
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

TEST(EventStream, GoldenStreamAnySplit) {
  const std::string bytes = ReadFile("converse_stream_text.bin");
  ASSERT_FALSE(bytes.empty());
  for (size_t step : {size_t{1}, size_t{2}, size_t{7}, size_t{13}, size_t{100}, bytes.size()}) {
    SCOPED_TRACE(step);
    EventStreamDecoder decoder;
    std::vector<Decoded> got;
    ASSERT_TRUE(DecodeAll(bytes, step, &got, &decoder).ok());
    EXPECT_EQ(decoder.pending(), 0u);
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got[0].event_type, "messageStart");
    EXPECT_EQ(got[0].message_type, "event");
    EXPECT_EQ(got[0].payload, R"({"role": "assistant", "p": "abcdefghijkl"})");
    EXPECT_EQ(got[5].event_type, "metadata");
  }
}

TEST(EventStream, EncodeRoundTrip) {
  const std::string a = EncodeEventMessage({{":event-type", "x"}, {"k", ""}}, "payload");
  const std::string b = EncodeEventMessage({}, "");
  EXPECT_EQ(b.size(), 16u);  // the smallest message: prelude and CRC only
  EventStreamDecoder decoder;
  std::vector<Decoded> got;
  ASSERT_TRUE(DecodeAll(a + b + a, 3, &got, &decoder).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].event_type, "x");
  EXPECT_EQ(got[0].payload, "payload");
  EXPECT_EQ(got[1].payload, "");
}

void PutU32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint32_t Crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// A frame around any header block and payload, with correct CRCs (zlib's, independently
// of the encoder under test). `total_delta` skews the declared total length.
std::string Frame(std::string_view headers, std::string_view payload, int total_delta = 0) {
  std::string out;
  PutU32(static_cast<uint32_t>(12 + headers.size() + payload.size() + 4 + total_delta), &out);
  PutU32(static_cast<uint32_t>(headers.size()), &out);
  PutU32(Crc(out), &out);
  out.append(headers).append(payload);
  PutU32(Crc(out), &out);
  return out;
}

std::string Header(std::string name, uint8_t type, std::string value) {
  std::string h(1, static_cast<char>(name.size()));
  h += name;
  h.push_back(static_cast<char>(type));
  return h + value;
}

Status FeedOnce(std::string_view bytes) {
  EventStreamDecoder decoder;
  return decoder.Feed(bytes, [](const EventMessage&) { return Status::Ok(); });
}

TEST(EventStream, EveryHeaderType) {
  const std::string h = Header("t", 0, "") + Header("f", 1, "") +
                        Header("b", 2, std::string("\xff", 1)) +
                        Header("s", 3, std::string("\x01\x02", 2)) +
                        Header("i", 4, std::string("\xff\xff\xff\xfe", 4)) +
                        Header("l", 5, std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8)) +
                        Header("y", 6, std::string("\x00\x03\x00\x01\x02", 5)) +
                        Header(":event-type", 7, std::string("\x00\x02hi", 4)) +
                        Header("m", 8, std::string("\x00\x00\x01\x8c\x00\x00\x00\x00", 8)) +
                        Header("g", 9, std::string(16, 'G'));
  EventStreamDecoder decoder;
  int calls = 0;
  Status s = decoder.Feed(Frame(h, "P"), [&](const EventMessage& m) {
    ++calls;
    EXPECT_EQ(m.headers.size(), 10u);
    EXPECT_EQ(m.headers[0].number, 1);
    EXPECT_EQ(m.headers[1].number, 0);
    EXPECT_EQ(m.headers[2].number, -1);
    EXPECT_EQ(m.headers[3].number, 0x0102);
    EXPECT_EQ(m.headers[4].number, -2);
    EXPECT_EQ(m.headers[5].number, int64_t{1} << 32);
    EXPECT_EQ(m.headers[6].bytes, std::string_view("\x00\x01\x02", 3));
    EXPECT_EQ(m.StringHeader(":event-type"), "hi");
    EXPECT_EQ(m.StringHeader("y"), "");  // bytes, not a string
    EXPECT_EQ(m.headers[8].number, int64_t{0x18c} << 32);
    EXPECT_EQ(m.headers[9].bytes, std::string(16, 'G'));
    EXPECT_EQ(m.payload, "P");
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 1);
}

TEST(EventStream, BadCrcsAndLengths) {
  const std::string good = Frame(Header("a", 7, std::string("\x00\x01x", 3)), "{}");
  std::string bad_prelude = good;
  bad_prelude[9] ^= 1;
  EXPECT_NE(FeedOnce(bad_prelude).message().find("prelude CRC"), std::string::npos);
  std::string bad_message = good;
  bad_message[good.size() - 5] ^= 1;
  EXPECT_NE(FeedOnce(bad_message).message().find("message CRC"), std::string::npos);
  EXPECT_FALSE(FeedOnce(Frame("", "", -1)).ok());  // total 15 < 16
  std::string headers_too_long = Frame("", "xy");
  headers_too_long.replace(4, 4, std::string("\x00\x00\x00\x03", 4));
  headers_too_long.replace(8, 4, "");
  std::string fixed;
  PutU32(Crc(headers_too_long.substr(0, 8)), &fixed);
  headers_too_long.insert(8, fixed);
  EXPECT_NE(FeedOnce(headers_too_long).message().find("headers length"), std::string::npos);
  // Truncated header name, truncated value, zero-length name, unknown type.
  EXPECT_FALSE(FeedOnce(Frame(std::string("\x05"
                                          "ab",
                                          3),
                              ""))
                   .ok());
  EXPECT_FALSE(FeedOnce(Frame(Header("a", 7, std::string("\x00\x09x", 3)), "")).ok());
  EXPECT_FALSE(FeedOnce(Frame(Header("", 7, std::string("\x00\x00", 2)), "")).ok());
  EXPECT_FALSE(FeedOnce(Frame(Header("a", 10, ""), "")).ok());
  EXPECT_FALSE(FeedOnce(Frame(Header("a", 4, "xx"), "")).ok());
}

TEST(EventStream, SizeLimitIsCheckedFromThePrelude) {
  EventStreamDecoder decoder(64);
  // Only the prelude of a 1000-byte message: refused before its body arrives.
  const std::string big = Frame("", std::string(1000 - 16, 'x'));
  Status s = decoder.Feed(big.substr(0, 12), [](const EventMessage&) { return Status::Ok(); });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("out of range"), std::string::npos);
  // A failed decoder stays failed.
  EXPECT_FALSE(decoder.Feed(Frame("", ""), [](const EventMessage&) { return Status::Ok(); }).ok());
}

TEST(EventStream, PendingAndCallbackError) {
  const std::string f = Frame("", "abc");
  EventStreamDecoder decoder;
  auto ok = [](const EventMessage&) { return Status::Ok(); };
  ASSERT_TRUE(decoder.Feed(f.substr(0, 5), ok).ok());
  EXPECT_EQ(decoder.pending(), 5u);
  ASSERT_TRUE(decoder.Feed(f.substr(5) + f.substr(0, 2), ok).ok());
  EXPECT_EQ(decoder.pending(), 2u);
  Status s = decoder.Feed(f.substr(2), [](const EventMessage&) { return Internal("stop"); });
  EXPECT_EQ(s.message(), "stop");
  EXPECT_EQ(decoder.status().message(), "stop");
}

TEST(EventStream, GoldenBadCrc) {
  EventStreamDecoder decoder;
  std::vector<Decoded> got;
  Status s = DecodeAll(ReadFile("converse_stream_bad_crc.bin"), 5, &got, &decoder);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(got.size(), 1u);  // the message before the damaged one
}

}  // namespace
}  // namespace edge::providers::bedrock
