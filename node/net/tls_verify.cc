// Certificate checks mbedTLS 2.28 leaves to us: iPAddress subject-alternative names, and
// readable verification messages.

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "node/net/tls_internal.h"

namespace edge::net::tls_internal {
namespace {

constexpr unsigned char kIpAddressTag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;  // [7] primitive
constexpr unsigned char kExtensionsTag =
    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3;  // [3] EXPLICIT
constexpr int kSequence = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;

// GeneralNames ::= SEQUENCE OF GeneralName, in the extnValue OCTET STRING [p, end).
bool GeneralNamesHaveIp(unsigned char* p, const unsigned char* end, const unsigned char* ip,
                        size_t ip_len) {
  size_t len;
  if (mbedtls_asn1_get_tag(&p, end, &len, kSequence) != 0) return false;
  end = p + len;
  while (p < end) {
    unsigned char tag = *p++;
    if (mbedtls_asn1_get_len(&p, end, &len) != 0) return false;
    if (tag == kIpAddressTag && len == ip_len && std::memcmp(p, ip, ip_len) == 0) return true;
    p += len;
  }
  return false;
}

}  // namespace

bool CertHasIpSan(const mbedtls_x509_crt& crt, const unsigned char* ip, size_t ip_len) {
  // Only parsed DER is walked; every length is bounds-checked by mbedtls_asn1_get_*.
  unsigned char* p = crt.v3_ext.p;
  if (p == nullptr || crt.v3_ext.len == 0 || (ip_len != 4 && ip_len != 16)) return false;
  const unsigned char* end = p + crt.v3_ext.len;
  size_t len;
  // v3_ext starts inside the [3] wrapper in 2.28; accept it with the wrapper too.
  if (*p == kExtensionsTag) {
    if (mbedtls_asn1_get_tag(&p, end, &len, kExtensionsTag) != 0) return false;
    end = p + len;
  }
  // Extensions ::= SEQUENCE OF Extension
  if (mbedtls_asn1_get_tag(&p, end, &len, kSequence) != 0) return false;
  end = p + len;
  const std::string_view san_oid(MBEDTLS_OID_SUBJECT_ALT_NAME,
                                 sizeof(MBEDTLS_OID_SUBJECT_ALT_NAME) - 1);
  while (p < end) {
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    if (mbedtls_asn1_get_tag(&p, end, &len, kSequence) != 0) return false;
    const unsigned char* ext_end = p + len;
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OID) != 0) return false;
    std::string_view oid(reinterpret_cast<const char*>(p), len);
    p += len;
    int critical;
    if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN &&
        mbedtls_asn1_get_bool(&p, ext_end, &critical) != 0) {
      return false;
    }
    if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0) return false;
    if (oid == san_oid) return GeneralNamesHaveIp(p, p + len, ip, ip_len);
    p = const_cast<unsigned char*>(ext_end);
  }
  return false;
}

std::string VerifyFlagsText(uint32_t flags) {
  char buf[1024];
  int n = mbedtls_x509_crt_verify_info(buf, sizeof(buf), "", flags);
  if (n <= 0) {
    std::snprintf(buf, sizeof(buf), "unknown reason (flags 0x%08x)", static_cast<unsigned>(flags));
    return buf;
  }
  // One cause per line; join them on one line for a log- and JSON-friendly message.
  std::string text;
  std::string_view rest(buf, static_cast<size_t>(n));
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty()) {
      if (!text.empty()) text += "; ";
      text.append(line);
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return text;
}

}  // namespace edge::net::tls_internal
