#include "ledger/journal_ring.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edge::ledger {
namespace {

constexpr char kMagic[8] = {'E', 'D', 'G', 'E', 'J', 'R', 'N', '1'};
constexpr uint64_t kHeaderBytes = 4096;
constexpr uint64_t kFrameBytes = 8;
constexpr uint32_t kWrapLength = 0xffffffffu;

uint64_t Padded(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Binds a frame to its position and length: a frame left from an earlier lap, or a page of
// zeros, does not match where it is read.
uint32_t CheckWord(uint64_t pos, uint32_t length) {
  uint64_t x = (pos ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
  return static_cast<uint32_t>(x >> 32) ^ length;
}

Status Errno(const std::string& what, const std::string& path) {
  return Unavailable("journal " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

struct JournalRing::Header {
  char magic[8];      // offset 0
  uint64_t capacity;  // offset 8
  alignas(64) std::atomic<uint64_t> head;   // bytes ever appended
  alignas(64) std::atomic<uint64_t> floor;  // bytes whose records are written
};

JournalRing::JournalRing(std::string path, int fd, char* map, uint64_t capacity)
    : path_(std::move(path)),
      fd_(fd),
      map_(map),
      header_(reinterpret_cast<Header*>(map)),
      data_(map + kHeaderBytes),
      capacity_(capacity) {
  static_assert(sizeof(Header) <= kHeaderBytes);
}
static_assert(std::atomic<uint64_t>::is_always_lock_free);

Result<std::unique_ptr<JournalRing>> JournalRing::Open(const std::string& path,
                                                       uint64_t capacity) {
  if (capacity < 4096 || (capacity & (capacity - 1)) != 0 || capacity > (uint64_t{1} << 31)) {
    return InvalidArgument("journal capacity must be a power of two from 4 KiB to 2 GiB");
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open", path);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Status s = Errno("stat", path);
    ::close(fd);
    return s;
  }
  const bool fresh = st.st_size == 0;
  uint64_t size = kHeaderBytes + capacity;
  if (fresh) {
    // Allocated now, so that a store into the mapping can never meet a full disk (SIGBUS).
    int err = posix_fallocate(fd, 0, static_cast<off_t>(size));
    if (err != 0) {
      errno = err;
      Status s = Errno("allocate", path);
      ::close(fd);
      ::unlink(path.c_str());
      return s;
    }
  } else {
    char head[16];  // the magic and the capacity, read as bytes (the header holds atomics)
    uint64_t cap = 0;
    const bool readable = static_cast<uint64_t>(st.st_size) >= kHeaderBytes &&
                          pread(fd, head, sizeof(head), 0) == static_cast<ssize_t>(sizeof(head));
    if (readable) std::memcpy(&cap, head + 8, sizeof(cap));
    if (!readable || std::memcmp(head, kMagic, sizeof(kMagic)) != 0 || cap < 4096 ||
        (cap & (cap - 1)) != 0 || cap > (uint64_t{1} << 31) ||
        static_cast<uint64_t>(st.st_size) != kHeaderBytes + cap) {
      ::close(fd);
      return Internal("journal " + path + " is not a journal file (or is damaged)");
    }
    capacity = cap;
    size = kHeaderBytes + capacity;
  }
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    Status s = Errno("mmap", path);
    ::close(fd);
    return s;
  }
  std::unique_ptr<JournalRing> ring(new JournalRing(path, fd, static_cast<char*>(map), capacity));
  if (fresh) {
    Header* h = ring->header_;
    h->capacity = capacity;
    h->head.store(0);
    h->floor.store(0);
    std::memcpy(h->magic, kMagic, sizeof(kMagic));  // last: a file without it is not a journal
  } else {
    const uint64_t head = ring->header_->head.load(), floor = ring->header_->floor.load();
    if (floor > head || head - floor > capacity) {
      return Internal("journal " + path + " has a damaged header");
    }
  }
  return ring;
}

JournalRing::~JournalRing() {
  munmap(map_, kHeaderBytes + capacity_);
  ::close(fd_);
}

char* JournalRing::Reserve(size_t size) {
  const uint64_t entry = kFrameBytes + Padded(size);
  if (size >= kWrapLength || entry > capacity_ / 2) return nullptr;
  uint64_t pos = header_->head.load(std::memory_order_relaxed);
  const uint64_t floor = header_->floor.load(std::memory_order_relaxed);
  const uint64_t offset = pos % capacity_;
  const uint64_t skip = offset + entry > capacity_ ? capacity_ - offset : 0;
  if (pos + skip + entry - floor > capacity_) return nullptr;
  if (skip != 0) {
    // The wrap frame is published with the entry (Commit moves head past both).
    uint32_t frame[2] = {kWrapLength, CheckWord(pos, kWrapLength)};
    std::memcpy(data_ + offset, frame, sizeof(frame));
    pos += skip;
  }
  reserved_pos_ = pos;
  reserved_size_ = static_cast<uint32_t>(size);
  return data_ + pos % capacity_ + kFrameBytes;
}

uint64_t JournalRing::Commit() {
  uint32_t frame[2] = {reserved_size_, CheckWord(reserved_pos_, reserved_size_)};
  std::memcpy(data_ + reserved_pos_ % capacity_, frame, sizeof(frame));
  const uint64_t end = reserved_pos_ + kFrameBytes + Padded(reserved_size_);
  header_->head.store(end, std::memory_order_release);
  return end;
}

void JournalRing::Release(uint64_t end) {
  if (end > header_->floor.load(std::memory_order_relaxed)) {
    header_->floor.store(end, std::memory_order_release);
  }
}

bool JournalRing::HasPending() const {
  return header_->head.load(std::memory_order_acquire) !=
         header_->floor.load(std::memory_order_acquire);
}

Status JournalRing::ForEachPending(const std::function<void(std::string_view)>& fn) const {
  const uint64_t head = header_->head.load(std::memory_order_acquire);
  uint64_t pos = header_->floor.load(std::memory_order_acquire);
  while (pos < head) {
    const uint64_t offset = pos % capacity_;
    uint32_t frame[2];
    if (pos % 8 != 0 || offset + kFrameBytes > capacity_) {
      return Internal("journal " + path_ + ": misaligned entry at " + std::to_string(pos));
    }
    std::memcpy(frame, data_ + offset, sizeof(frame));
    if (frame[1] != CheckWord(pos, frame[0])) {
      return Internal("journal " + path_ + ": damaged entry at " + std::to_string(pos));
    }
    if (frame[0] == kWrapLength) {
      pos += capacity_ - offset;
      continue;
    }
    const uint64_t end = pos + kFrameBytes + Padded(frame[0]);
    if (offset + kFrameBytes + frame[0] > capacity_ || end > head) {
      return Internal("journal " + path_ + ": entry at " + std::to_string(pos) +
                      " runs past its bounds");
    }
    fn(std::string_view(data_ + offset + kFrameBytes, frame[0]));
    pos = end;
  }
  return Status::Ok();
}

void JournalRing::Clear() {
  header_->floor.store(0, std::memory_order_release);
  header_->head.store(0, std::memory_order_release);
}

}  // namespace edge::ledger
