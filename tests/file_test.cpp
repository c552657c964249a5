// File policies: fault injection and tracing, atomic replacement, the
// exclusive lock and durable appends.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>

#include <evlog/file/atomic_file.hpp>
#include <evlog/file/fault_file.hpp>
#include <evlog/file/io.hpp>
#include <evlog/file/posix_file.hpp>

#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evlog::file_op;

namespace {

std::error_code sys(int e) { return {e, std::system_category()}; }

int open_rw(evlog::fault_file& f, const fs::path& p, int extra = 0) {
    int fd = -1;
    auto ec = f.open(p, O_RDWR | O_CREAT | extra, 0644, fd);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    return fd;
}

std::error_code write_str(evlog::fault_file& f, int fd, std::string_view s, std::size_t* done_out = nullptr) {
    std::size_t done = 0;
    auto ec = f.write(fd, s.data(), s.size(), done);
    if (done_out) *done_out = done;
    return ec;
}

/// Index of the first trace entry with `op` (and `path` when given) at or after `from`; npos if none.
std::size_t find_op(const std::vector<evlog::file_call>& t, file_op op, std::size_t from = 0) {
    for (std::size_t i = from; i < t.size(); ++i)
        if (t[i].op == op) return i;
    return std::string::npos;
}

std::vector<std::string> dir_entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

BOOST_AUTO_TEST_SUITE(FaultFile)

BOOST_AUTO_TEST_CASE(FailNthFailsOnlyTheKthCallOfThatKind) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_nth(file_op::write, 2, EIO);
    int fd = open_rw(f, dir / "a");
    BOOST_TEST(!write_str(f, fd, "a"));
    std::size_t done = 99;
    BOOST_TEST((write_str(f, fd, "b", &done) == sys(EIO)));
    BOOST_TEST(done == 0u);
    BOOST_TEST(!write_str(f, fd, "c"));
    BOOST_TEST(!write_str(f, fd, "d"));
    // Other kinds are unaffected, even their second call.
    BOOST_TEST(!f.fdatasync(fd));
    BOOST_TEST(!f.fdatasync(fd));
    BOOST_TEST(!f.close(fd));
    BOOST_TEST(evtest::read_file(dir / "a") == "acd");
    BOOST_TEST(f.count(file_op::write) == 4u);
    BOOST_TEST(f.count(file_op::fdatasync) == 2u);
}

BOOST_AUTO_TEST_CASE(FailNthUsesTheChosenErrno) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_nth(file_op::fdatasync, 1, ENOSPC);
    f.fail_nth(file_op::rename, 1, EXDEV);
    int fd = open_rw(f, dir / "a");
    BOOST_TEST((f.fdatasync(fd) == sys(ENOSPC)));
    BOOST_TEST(!f.close(fd));
    BOOST_TEST((f.rename(dir / "a", dir / "b") == sys(EXDEV)));
    BOOST_TEST(fs::exists(dir / "a")); // the failed rename did nothing
    BOOST_TEST(!fs::exists(dir / "b"));
    BOOST_TEST(!f.rename(dir / "a", dir / "b"));
    BOOST_TEST(fs::exists(dir / "b"));
}

BOOST_AUTO_TEST_CASE(FailFromFailsEveryCallFromKOn) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_from(file_op::write, 3, ENOSPC);
    int fd = open_rw(f, dir / "a");
    BOOST_TEST(!write_str(f, fd, "1"));
    BOOST_TEST(!write_str(f, fd, "2"));
    for (int i = 0; i < 5; ++i) BOOST_TEST((write_str(f, fd, "x") == sys(ENOSPC)));
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == "12");
}

BOOST_AUTO_TEST_CASE(FailNextFailsTheFollowingCallOnly) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    int fd = open_rw(f, dir / "a");
    BOOST_TEST(!f.fsync(fd));
    BOOST_TEST(!f.fsync(fd));
    f.fail_next(file_op::fsync, EIO);
    BOOST_TEST((f.fsync(fd) == sys(EIO)));
    BOOST_TEST(!f.fsync(fd));
    f.close(fd);
}

BOOST_AUTO_TEST_CASE(FailedOpenReturnsNoFdAndCreatesNothing) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_nth(file_op::open, 1, EACCES);
    int fd = 1234;
    BOOST_TEST((f.open(dir / "a", O_RDWR | O_CREAT, 0644, fd) == sys(EACCES)));
    BOOST_TEST(fd == -1);
    BOOST_TEST(!fs::exists(dir / "a"));
}

BOOST_AUTO_TEST_CASE(ShortWriteNthWritesOnlyNBytesAndReportsSuccess) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.short_write_nth(file_op::write, 2, 3);
    int fd = open_rw(f, dir / "a");
    std::size_t done = 0;
    BOOST_TEST(!write_str(f, fd, "first|", &done));
    BOOST_TEST(done == 6u);
    BOOST_TEST(!write_str(f, fd, "second", &done));
    BOOST_TEST(done == 3u);
    BOOST_TEST(!write_str(f, fd, "|third", &done));
    BOOST_TEST(done == 6u);
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == "first|sec|third");
    auto t = f.trace();
    auto w = find_op(t, file_op::write);
    w = find_op(t, file_op::write, w + 1);
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST(t[w].data == "sec"); // the bytes actually written, not the ones asked for
    BOOST_TEST(!t[w].result);
}

BOOST_AUTO_TEST_CASE(ShortPwriteWritesOnlyNBytes) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.short_write_nth(file_op::pwrite, 1, 2);
    int fd = open_rw(f, dir / "a");
    std::size_t done = 0;
    BOOST_TEST(!f.pwrite(fd, "abcd", 4, 3, done));
    BOOST_TEST(done == 2u);
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == std::string("\0\0\0ab", 5));
}

BOOST_AUTO_TEST_CASE(WriteAllFinishesAfterAShortWrite) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.short_write_nth(file_op::write, 1, 4);
    int fd = open_rw(f, dir / "a");
    BOOST_TEST(!evlog::write_all(f, fd, "hello world"));
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == "hello world");
    BOOST_TEST(f.count(file_op::write) == 2u);
}

BOOST_AUTO_TEST_CASE(WriteAllReportsNoSpaceWhenAWriteMakesNoProgress) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.short_write_nth(file_op::write, 2, 0);
    int fd = open_rw(f, dir / "a");
    BOOST_TEST((evlog::write_all(f, fd, "abc") == std::error_code{}));
    BOOST_TEST((evlog::write_all(f, fd, "def") == sys(ENOSPC)));
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == "abc");
}

BOOST_AUTO_TEST_CASE(TraceRecordsOpsPathsOffsetsAndWrittenBytes) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    const fs::path a = dir / "a", b = dir / "b";
    int fd = open_rw(f, a);
    BOOST_TEST(!write_str(f, fd, "abc"));
    BOOST_TEST(!write_str(f, fd, "de"));
    std::size_t done = 0;
    BOOST_TEST(!f.pwrite(fd, "XY", 2, 1, done));
    char buf[8];
    BOOST_TEST(!f.pread(fd, buf, sizeof(buf), 0, done));
    BOOST_TEST(std::string(buf, done) == "aXYde");
    std::uint64_t size = 0;
    BOOST_TEST(!f.file_size(fd, size));
    BOOST_TEST(size == 5u);
    BOOST_TEST(!f.ftruncate(fd, 4));
    BOOST_TEST(!f.fdatasync(fd));
    BOOST_TEST(!f.close(fd));
    BOOST_TEST(!f.rename(a, b));
    BOOST_TEST(!f.fsync_dir(dir.path()));
    BOOST_TEST(!f.unlink(b));
    BOOST_TEST(!f.mkdirs(dir / "x" / "y"));

    auto t = f.trace();
    std::vector<file_op> ops;
    for (const auto& c : t) ops.push_back(c.op);
    const std::vector<file_op> want{file_op::open,      file_op::write,     file_op::write,     file_op::pwrite,
                                    file_op::pread,     file_op::file_size, file_op::ftruncate, file_op::fdatasync,
                                    file_op::close,     file_op::rename,    file_op::fsync_dir, file_op::unlink,
                                    file_op::mkdirs};
    BOOST_TEST_REQUIRE(ops.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        BOOST_TEST(static_cast<int>(ops[i]) == static_cast<int>(want[i]), "entry " << i);

    // Every fd op carries the path the fd was opened with.
    for (std::size_t i = 0; i <= 8; ++i) {
        BOOST_TEST(t[i].path == a, "entry " << i);
        BOOST_TEST(t[i].fd == fd, "entry " << i);
        BOOST_TEST(!t[i].result, "entry " << i);
    }
    BOOST_TEST(t[1].offset == 0u);
    BOOST_TEST(t[1].data == "abc");
    BOOST_TEST(t[2].offset == 3u);
    BOOST_TEST(t[2].data == "de");
    BOOST_TEST(t[3].offset == 1u);
    BOOST_TEST(t[3].data == "XY");
    BOOST_TEST(t[6].offset == 4u); // ftruncate's size
    BOOST_TEST(t[9].path == a);
    BOOST_TEST(t[9].target == b);
    BOOST_TEST(t[10].path == dir.path());
    BOOST_TEST(t[11].path == b);
    BOOST_TEST(t[12].path == dir / "x" / "y");
    BOOST_TEST(fs::is_directory(dir / "x" / "y"));
}

BOOST_AUTO_TEST_CASE(TraceOffsetOfPlainWriteIsTheFilePositionNotTheSize) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    int fd = open_rw(f, dir / "a");
    BOOST_TEST(!write_str(f, fd, "abcdef"));
    BOOST_TEST(!f.ftruncate(fd, 2)); // the position stays at 6
    BOOST_TEST(!write_str(f, fd, "XY"));
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == std::string("ab\0\0\0\0XY", 8));
    auto t = f.trace();
    auto w = find_op(t, file_op::write, find_op(t, file_op::ftruncate));
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST(t[w].offset == 6u);
}

BOOST_AUTO_TEST_CASE(TraceOffsetOfAppendWriteIsTheEndOfFile) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    int fd = open_rw(f, dir / "a", O_APPEND);
    BOOST_TEST(!write_str(f, fd, "abcdef"));
    BOOST_TEST(!f.ftruncate(fd, 2));
    BOOST_TEST(!write_str(f, fd, "XY"));
    f.close(fd);
    BOOST_TEST(evtest::read_file(dir / "a") == "abXY");
    auto t = f.trace();
    auto w = find_op(t, file_op::write, find_op(t, file_op::ftruncate));
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST(t[w].offset == 2u);
}

BOOST_AUTO_TEST_CASE(TraceRecordsFailedCallsWithTheirError) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_nth(file_op::write, 1, EIO);
    f.fail_nth(file_op::unlink, 1, EPERM);
    int fd = open_rw(f, dir / "a");
    BOOST_TEST((write_str(f, fd, "lost") == sys(EIO)));
    f.close(fd);
    BOOST_TEST((f.unlink(dir / "a") == sys(EPERM)));
    BOOST_TEST(fs::exists(dir / "a"));
    auto t = f.trace();
    auto w = find_op(t, file_op::write);
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST((t[w].result == sys(EIO)));
    BOOST_TEST(t[w].data.empty()); // nothing reached the file
    BOOST_TEST(t[w].path == dir / "a");
    auto u = find_op(t, file_op::unlink);
    BOOST_TEST_REQUIRE(u != std::string::npos);
    BOOST_TEST((t[u].result == sys(EPERM)));
    // A real failure (not injected) is recorded too.
    BOOST_TEST((f.unlink(dir / "missing") == sys(ENOENT)));
    BOOST_TEST((f.trace().back().result == sys(ENOENT)));
}

BOOST_AUTO_TEST_CASE(CopiesShareRulesCountsAndTrace) {
    evtest::temp_dir dir;
    evlog::fault_file owner;
    evlog::fault_file steer = owner; // the test keeps a copy, the code under test the original
    steer.fail_nth(file_op::fdatasync, 1, EIO);
    int fd = open_rw(owner, dir / "a");
    BOOST_TEST((owner.fdatasync(fd) == sys(EIO)));
    owner.close(fd);
    BOOST_TEST(steer.count(file_op::fdatasync) == 1u);
    BOOST_TEST(steer.count(file_op::open) == 1u);
    BOOST_TEST(steer.trace().size() == owner.trace().size());
    BOOST_TEST(steer.trace().size() == 3u);
    // Counts are shared too: the next rule's k counts calls made through either copy.
    steer.fail_nth(file_op::fdatasync, 2, ENOSPC);
    fd = open_rw(steer, dir / "a");
    BOOST_TEST((owner.fdatasync(fd) == sys(ENOSPC)));
    steer.close(fd);
    owner.clear_trace();
    BOOST_TEST(steer.trace().empty());
    BOOST_TEST(steer.count(file_op::fdatasync) == 2u); // clearing the trace keeps counts
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AtomicFile)

BOOST_AUTO_TEST_CASE(CommitReplacesTargetAndLeavesNoTemp) {
    evtest::temp_dir dir;
    const auto target = dir / "state.json", temp = dir / "state.json.tmp";
    evtest::write_file(target, "old contents that are longer");
    evlog::posix_file pf;
    {
        evlog::atomic_file<> af(pf, target, temp);
        af.write("new ");
        af.write("contents");
        af.commit();
    }
    BOOST_TEST(evtest::read_file(target) == "new contents");
    BOOST_TEST(!fs::exists(temp));
    BOOST_TEST((dir_entries(dir.path()) == std::vector<std::string>{"state.json"}));
}

BOOST_AUTO_TEST_CASE(CommitCreatesMissingTarget) {
    evtest::temp_dir dir;
    evlog::posix_file pf;
    {
        evlog::atomic_file<> af(pf, dir / "t", dir / "t.tmp");
        af.write("x");
        af.commit();
    }
    BOOST_TEST(evtest::read_file(dir / "t") == "x");
    BOOST_TEST(!fs::exists(dir / "t.tmp"));
}

BOOST_AUTO_TEST_CASE(DestroyWithoutCommitLeavesTargetAndRemovesTemp) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(target, "old");
    evlog::posix_file pf;
    {
        evlog::atomic_file<> af(pf, target, temp);
        af.write("new");
        BOOST_TEST(fs::exists(temp));
        BOOST_TEST(evtest::read_file(target) == "old"); // nothing visible before commit
    }
    BOOST_TEST(evtest::read_file(target) == "old");
    BOOST_TEST(!fs::exists(temp));
}

BOOST_AUTO_TEST_CASE(StaleTempFromACrashIsReplaced) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(temp, "half-written junk from a crash");
    evlog::posix_file pf;
    {
        evlog::atomic_file<> af(pf, target, temp);
        af.write("fresh");
        af.commit();
    }
    BOOST_TEST(evtest::read_file(target) == "fresh");
    BOOST_TEST(!fs::exists(temp));
}

BOOST_AUTO_TEST_CASE(FailingFdatasyncThrowsAndLeavesTargetUntouched) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(target, "old");
    evlog::fault_file f;
    f.fail_nth(file_op::fdatasync, 1, EIO);
    {
        evlog::atomic_file<evlog::fault_file> af(f, target, temp);
        af.write("new");
        try {
            af.commit();
            BOOST_ERROR("commit did not throw");
        } catch (const evlog::error& e) {
            BOOST_TEST((e.code() == sys(EIO)));
            BOOST_TEST(e.detail().find(temp.string()) != std::string::npos, e.detail());
        }
    }
    BOOST_TEST(evtest::read_file(target) == "old");
    BOOST_TEST(!fs::exists(temp));
    BOOST_TEST(f.count(file_op::rename) == 0u);
    // The temp's fd is closed even though commit threw.
    BOOST_TEST(f.count(file_op::close) == 1u);
}

BOOST_AUTO_TEST_CASE(SecondCommitAfterAFailedFdatasyncIsRefused) {
    // After a failed fdatasync the kernel may have dropped the temp file's
    // pages and marked them clean: a second fdatasync would succeed and the
    // rename would put bytes that never reached the disk over the target.
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(target, "old");
    evlog::fault_file f;
    f.fail_nth(file_op::fdatasync, 1, EIO);
    evlog::atomic_file<evlog::fault_file> af(f, target, temp);
    af.write("new");
    BOOST_CHECK_THROW(af.commit(), evlog::error);
    BOOST_TEST(!fs::exists(temp)); // removed at once, not only by the destructor
    BOOST_CHECK_EXCEPTION(af.commit(), evlog::error,
                          [](const evlog::error& e) { return e.code() == evlog::errc::bad_argument; });
    BOOST_TEST(evtest::read_file(target) == "old");
    BOOST_TEST(f.count(file_op::fdatasync) == 1u);
    BOOST_TEST(f.count(file_op::rename) == 0u);
}

BOOST_AUTO_TEST_CASE(FailingRenameThrowsAndLeavesTargetUntouched) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(target, "old");
    evlog::fault_file f;
    f.fail_nth(file_op::rename, 1, EXDEV);
    {
        evlog::atomic_file<evlog::fault_file> af(f, target, temp);
        af.write("new");
        try {
            af.commit();
            BOOST_ERROR("commit did not throw");
        } catch (const evlog::error& e) {
            BOOST_TEST((e.code() == sys(EXDEV)));
            BOOST_TEST(e.detail().find(target.string()) != std::string::npos, e.detail());
        }
    }
    BOOST_TEST(evtest::read_file(target) == "old");
    BOOST_TEST(!fs::exists(temp));
    BOOST_TEST(f.count(file_op::fsync_dir) == 0u);
}

BOOST_AUTO_TEST_CASE(FailingWriteThrowsAndLeavesTargetUntouched) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(target, "old");
    evlog::fault_file f;
    f.fail_nth(file_op::write, 1, ENOSPC);
    {
        evlog::atomic_file<evlog::fault_file> af(f, target, temp);
        BOOST_CHECK_EXCEPTION(af.write("new"), evlog::error,
                              [](const evlog::error& e) { return e.code() == sys(ENOSPC); });
    }
    BOOST_TEST(evtest::read_file(target) == "old");
    BOOST_TEST(!fs::exists(temp));
}

BOOST_AUTO_TEST_CASE(FailingDirectoryFsyncThrowsAfterTheRenameTookPlace) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evtest::write_file(target, "old");
    evlog::fault_file f;
    f.fail_nth(file_op::fsync_dir, 1, EIO);
    {
        evlog::atomic_file<evlog::fault_file> af(f, target, temp);
        af.write("new");
        BOOST_CHECK_THROW(af.commit(), evlog::error);
    }
    // The rename happened; the error only says it may not be durable yet.
    BOOST_TEST(evtest::read_file(target) == "new");
    BOOST_TEST(!fs::exists(temp));
    auto t = f.trace();
    BOOST_TEST(find_op(t, file_op::unlink, find_op(t, file_op::rename)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(CommitOrderIsWriteFdatasyncRenameFsyncDir) {
    evtest::temp_dir dir;
    const auto target = dir / "t", temp = dir / "t.tmp";
    evlog::fault_file f;
    {
        evlog::atomic_file<evlog::fault_file> af(f, target, temp);
        af.write("payload");
        af.commit();
    }
    auto t = f.trace();
    auto w = find_op(t, file_op::write);
    auto s = find_op(t, file_op::fdatasync);
    auto c = find_op(t, file_op::close);
    auto r = find_op(t, file_op::rename);
    auto d = find_op(t, file_op::fsync_dir);
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST_REQUIRE(s != std::string::npos);
    BOOST_TEST_REQUIRE(r != std::string::npos);
    BOOST_TEST_REQUIRE(d != std::string::npos);
    BOOST_TEST(w < s);
    BOOST_TEST(s < r);
    BOOST_TEST(c < r);
    BOOST_TEST(r < d);
    BOOST_TEST(t[w].path == temp);
    BOOST_TEST(t[w].data == "payload");
    BOOST_TEST(t[s].path == temp);
    BOOST_TEST(t[r].path == temp);
    BOOST_TEST(t[r].target == target);
    BOOST_TEST(t[d].path == dir.path());
    BOOST_TEST(find_op(t, file_op::write, s) == std::string::npos); // nothing written after the sync
    BOOST_TEST(evtest::read_file(target) == "payload");
}

BOOST_AUTO_TEST_CASE(CreateFailureThrowsNamingTheTemp) {
    evtest::temp_dir dir;
    evlog::posix_file pf;
    const auto temp = dir / "no-such-dir" / "t.tmp";
    try {
        evlog::atomic_file<> af(pf, dir / "t", temp);
        BOOST_ERROR("no exception");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == sys(ENOENT)));
        BOOST_TEST(e.detail().find(temp.string()) != std::string::npos, e.detail());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(FileLock)

BOOST_AUTO_TEST_CASE(SecondOpenFileDescriptionGetsLogLocked) {
    evtest::temp_dir dir;
    const auto p = dir / "log";
    evlog::posix_file pf;
    int fd1 = -1, fd2 = -1;
    BOOST_TEST_REQUIRE(!pf.open(p, O_RDWR | O_CREAT, 0644, fd1));
    BOOST_TEST_REQUIRE(!pf.open(p, O_RDWR, 0644, fd2));
    BOOST_CHECK_NO_THROW(evlog::lock_exclusive(pf, fd1, p));
    try {
        evlog::lock_exclusive(pf, fd2, p);
        BOOST_ERROR("second lock succeeded");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == evlog::errc::log_locked));
        BOOST_TEST(std::string(e.what()).find(p.string()) != std::string::npos, e.what());
    }
    // Once the holder is gone the lock is free again.
    pf.close(fd1);
    BOOST_CHECK_NO_THROW(evlog::lock_exclusive(pf, fd2, p));
    pf.close(fd2);
}

BOOST_AUTO_TEST_CASE(LockFailureOtherThanContentionIsAnIoError) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_nth(file_op::lock, 1, ENOLCK);
    int fd = open_rw(f, dir / "log");
    try {
        evlog::lock_exclusive(f, fd, dir / "log");
        BOOST_ERROR("no exception");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == sys(ENOLCK)));
        BOOST_TEST(!(e.code() == evlog::errc::log_locked));
    }
    f.close(fd);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AppendDurably)

BOOST_AUTO_TEST_CASE(CreatesMissingFileAndFsyncsItsDirectory) {
    evtest::temp_dir dir;
    const auto p = dir / "journal";
    evlog::fault_file f;
    evlog::append_durably(f, p, "one\n");
    BOOST_TEST(evtest::read_file(p) == "one\n");
    auto t = f.trace();
    auto w = find_op(t, file_op::write);
    auto s = find_op(t, file_op::fdatasync);
    auto d = find_op(t, file_op::fsync_dir);
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST_REQUIRE(s != std::string::npos);
    BOOST_TEST_REQUIRE(d != std::string::npos);
    BOOST_TEST(w < s);
    BOOST_TEST(s < d);
    BOOST_TEST(t[d].path == dir.path());
    BOOST_TEST(f.count(file_op::close) == 1u);
}

BOOST_AUTO_TEST_CASE(AppendsToExistingFileAtItsEndAndFsyncsTheDirectoryEveryTime) {
    // Not only when the call creates the file: one that created it may have
    // failed at the directory fsync, and the file's existence does not say so.
    evtest::temp_dir dir;
    const auto p = dir / "journal";
    evlog::fault_file f;
    evlog::append_durably(f, p, "one\n");
    f.clear_trace();
    evlog::append_durably(f, p, "two\n");
    evlog::append_durably(f, p, "three\n");
    BOOST_TEST(evtest::read_file(p) == "one\ntwo\nthree\n");
    auto t = f.trace();
    BOOST_TEST(f.count(file_op::fdatasync) == 3u);
    BOOST_TEST(f.count(file_op::fsync_dir) == 3u);
    auto w = find_op(t, file_op::write);
    BOOST_TEST_REQUIRE(w != std::string::npos);
    BOOST_TEST(t[w].offset == 4u); // appended at the end
    auto d = find_op(t, file_op::fsync_dir, w);
    BOOST_TEST_REQUIRE(d != std::string::npos);
    BOOST_TEST(t[d].path == dir.path());
}

BOOST_AUTO_TEST_CASE(FailedAppendIsCutBackToTheSizeBeforeIt) {
    // A write that ran out of space half way must not leave its prefix for
    // the next append to glue onto, nor one that failed at a sync a whole
    // record for the retry to repeat.
    evtest::temp_dir dir;
    const auto p = dir / "journal";
    evtest::write_file(p, "one\n");
    evlog::fault_file f;
    f.short_write_nth(file_op::write, 1, 3);
    f.fail_nth(file_op::write, 2, ENOSPC);
    BOOST_CHECK_EXCEPTION(evlog::append_durably(f, p, "a record\n"), evlog::error,
                          [](const evlog::error& e) { return e.code() == sys(ENOSPC); });
    BOOST_TEST(evtest::read_file(p) == "one\n");
    f.fail_next(file_op::fsync_dir, EIO);
    BOOST_CHECK_THROW(evlog::append_durably(f, p, "two\n"), evlog::error);
    BOOST_TEST(evtest::read_file(p) == "one\n");
    evlog::append_durably(f, p, "two\n");
    BOOST_TEST(evtest::read_file(p) == "one\ntwo\n");
}

BOOST_AUTO_TEST_CASE(FailedFdatasyncThrowsAndClosesTheFile) {
    evtest::temp_dir dir;
    const auto p = dir / "journal";
    evlog::fault_file f;
    f.fail_nth(file_op::fdatasync, 1, EIO);
    BOOST_CHECK_EXCEPTION(evlog::append_durably(f, p, "x"), evlog::error,
                          [](const evlog::error& e) { return e.code() == sys(EIO); });
    BOOST_TEST(f.count(file_op::close) == 1u);
    BOOST_TEST(f.count(file_op::fsync_dir) == 0u);
}

BOOST_AUTO_TEST_CASE(FailedOpenThrowsNamingThePath) {
    evtest::temp_dir dir;
    const auto p = dir / "missing-dir" / "journal";
    evlog::posix_file pf;
    try {
        evlog::append_durably(pf, p, "x");
        BOOST_ERROR("no exception");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == sys(ENOENT)));
        BOOST_TEST(e.detail().find(p.string()) != std::string::npos, e.detail());
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(MakeDirsDurably)

std::vector<fs::path> fsynced_dirs(const evlog::fault_file& f) {
    std::vector<fs::path> out;
    for (const auto& c : f.trace())
        if (c.op == file_op::fsync_dir) out.push_back(c.path);
    return out;
}

BOOST_AUTO_TEST_CASE(FsyncsTheParentOfEveryLevelItCreatesTopDown) {
    evtest::temp_dir dir;
    evlog::fault_file f;
    evlog::make_dirs_durably(f, dir / "a" / "b" / "c", dir / "a" / "b" / "c");
    BOOST_TEST(fs::is_directory(dir / "a" / "b" / "c"));
    BOOST_TEST((fsynced_dirs(f) == std::vector<fs::path>{dir.path(), dir / "a", dir / "a" / "b"}));
    f.clear_trace();
    evlog::make_dirs_durably(f, dir / "a" / "b" / "c", dir / "a" / "b" / "c");
    BOOST_TEST(fsynced_dirs(f).empty());
    BOOST_TEST(f.count(file_op::mkdirs) == 1u); // nothing missing the second time
}

BOOST_AUTO_TEST_CASE(FsyncsTheParentOfEveryLevelBelowBaseEvenWhenItExists) {
    // A call that created them may have failed at its fsync; the retry
    // cannot tell, so it does them again.
    evtest::temp_dir dir;
    evlog::fault_file f;
    f.fail_nth(file_op::fsync_dir, 1, EIO);
    BOOST_CHECK_THROW(evlog::make_dirs_durably(f, dir / "a" / "b/", dir.path()), evlog::error);
    f.clear_trace();
    evlog::make_dirs_durably(f, dir / "a" / "b/", dir.path());
    BOOST_TEST((fsynced_dirs(f) == std::vector<fs::path>{dir.path(), dir / "a"}));
}

BOOST_AUTO_TEST_CASE(PathThatIsAFileIsAnErrorNamingIt) {
    evtest::temp_dir dir;
    evtest::write_file(dir / "f", "x");
    evlog::posix_file pf;
    try {
        evlog::make_dirs_durably(pf, dir / "f" / "sub", dir.path());
        BOOST_ERROR("no exception");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.detail().find((dir / "f").string()) != std::string::npos, e.detail());
    }
}

BOOST_AUTO_TEST_SUITE_END()
