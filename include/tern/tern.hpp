#pragma once

// Everything of tern's public API.

#include <tern/config.hpp>
#include <tern/connection.hpp>
#include <tern/endpoint.hpp>
#include <tern/error.hpp>
#include <tern/stream.hpp>
#include <tern/time.hpp>
#include <tern/version.hpp>
