// Downstream consumer test (subproject): built outside evlog's own build, the
// way a user's project would, then run as a Boost.Test program.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_MODULE evlog_consumer_subproject
#include <boost/test/unit_test.hpp>

#include <string_view>

#include <evlog/version.hpp>

#include "round_trip.hpp" // copied beside main.cpp by run.sh

BOOST_AUTO_TEST_CASE(VersionHeaderIsInstalled) {
    BOOST_TEST(!std::string_view(evlog::version).empty());
}
