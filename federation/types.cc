#include "federation/types.h"

namespace edge::federation {

std::string_view MemberStateName(MemberState s) {
  switch (s) {
    case MemberState::kAlive:
      return "alive";
    case MemberState::kSuspect:
      return "suspect";
    case MemberState::kDead:
      return "dead";
  }
  return "unknown";
}

std::string_view DropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kSize:
      return "size";
    case DropReason::kVersion:
      return "version";
    case DropReason::kTag:
      return "tag";
    case DropReason::kMsgpack:
      return "msgpack";
    case DropReason::kSchema:
      return "schema";
  }
  return "unknown";
}

}  // namespace edge::federation
