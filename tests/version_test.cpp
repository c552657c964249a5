// Build-system smoke test: the header version matches meson's project().
#include <string_view>

#include <boost/test/unit_test.hpp>

#include <evlog/version.hpp>

BOOST_AUTO_TEST_SUITE(build)

BOOST_AUTO_TEST_CASE(HeaderVersionMatchesMesonProjectVersion) {
    BOOST_TEST(std::string_view(evlog::version) == std::string_view(EVLOG_PROJECT_VERSION));
}

BOOST_AUTO_TEST_SUITE_END()
