// CommandTable lookups: case folding, and that the per-thread lookup cache never answers with a
// command that was removed, nor with one from a table that no longer exists.
#include <doctest/doctest.h>

#include <new>
#include <string>
#include <vector>

#include "commands/acl_commands.h"
#include "commands/command_table.h"

namespace kv {
namespace {

CommandSpec Spec(std::string name, std::string module = {}) {
  CommandSpec s = MakeSpec(std::move(name), -1, 0, kNoKeys, nullptr, "generic", "1.0.0", "", "");
  s.module = std::move(module);
  return s;
}

TEST_CASE("command table: lookups fold ASCII case, and long or empty names are unknown") {
  CommandTable t;
  REQUIRE(t.Register(Spec("GeT")));
  REQUIRE(t.Find("get") != nullptr);
  CHECK(t.Find("GET") == t.Find("get"));
  CHECK(t.Find("gEt")->name == "get");
  CHECK(t.Find("ge") == nullptr);
  CHECK(t.Find("gett") == nullptr);
  CHECK(t.Find("") == nullptr);
  CHECK(t.Find(std::string(65, 'g')) == nullptr);
  CHECK_FALSE(t.Register(Spec("GET")));
}

TEST_CASE("command table: a container's subcommands get full names and statistics slots") {
  CommandTable t;
  REQUIRE(t.Register(Spec("get")));
  REQUIRE(t.Register(WithSubcommands(Spec("CONFIG"), {{"SET", -4}, {"get", -3}})));
  REQUIRE(t.Register(Spec("set")));
  const CommandSpec* config = t.Find("config");
  REQUIRE(config != nullptr);
  REQUIRE(config->subcommands.size() == 2);
  // Sorted by name (INFO's order), lower case, named as Redis names them.
  CHECK(config->subcommands[0].full_name == "config|get");
  CHECK(config->subcommands[1].full_name == "config|set");
  CHECK(config->FindSubcommand("GeT") == &config->subcommands[0]);
  CHECK(config->FindSubcommand("nosuch") == nullptr);
  CHECK(config->FindSubcommand("SET")->arity == -4);
  // Every command and subcommand has a slot of its own.
  const uint32_t ids[] = {t.Find("get")->id, config->id, config->subcommands[0].id,
                          config->subcommands[1].id, t.Find("set")->id};
  for (size_t i = 0; i < std::size(ids); ++i)
    for (size_t j = i + 1; j < std::size(ids); ++j) CHECK(ids[i] != ids[j]);
  const std::string_view get[] = {"config", "GET", "maxmemory"};
  const std::string_view alone[] = {"config"};
  const std::string_view unknown[] = {"config", "nosuch"};
  CHECK(config->SubcommandOf(get) == &config->subcommands[0]);
  CHECK(config->CallName(get) == "config|get");
  CHECK(config->SubcommandOf(alone) == nullptr);
  CHECK(config->CallName(alone) == "config");
  CHECK(config->SubcommandOf(unknown) == nullptr);
  CHECK(t.Find("get")->SubcommandOf(get) == nullptr);
}

TEST_CASE("command table: a subcommand has its container's flags and since unless it declares its own") {
  CommandTable t;
  CommandSpec spec = Spec("xgroup");
  spec.flags = kCmdAdmin | kCmdNoScript;
  spec.since = "5.0.0";
  REQUIRE(t.Register(WithSubcommands(
      std::move(spec),
      {{"plain", 2},
       {"create", -5, "6.2.0", "Create it.", kCmdWrite | kCmdDenyOom, kSubcommandKey},
       {"info", 3, "", "Read it.", kCmdReadonly, kSubcommandKey}, HelpSubcommand()},
      {.sub_categories = acl::kStream})));
  const CommandSpec* c = t.Find("xgroup");
  REQUIRE(c != nullptr);
  const SubcommandSpec* plain = c->FindSubcommand("plain");
  CHECK(plain->flags == (kCmdAdmin | kCmdNoScript));
  CHECK(plain->since == "5.0.0");
  CHECK(plain->keys.first == 0);
  CHECK(plain->acl_categories == (acl::kAdmin | acl::kDangerous | acl::kSlow | acl::kStream));
  const SubcommandSpec* create = c->FindSubcommand("CREATE");
  CHECK(create->since == "6.2.0");
  CHECK(create->summary == "Create it.");
  CHECK((create->keys.first == 2 && create->keys.last == 2 && create->keys.step == 1));
  CHECK(create->acl_categories == (acl::kWrite | acl::kSlow | acl::kStream));
  CHECK(c->FindSubcommand("info")->acl_categories == (acl::kRead | acl::kSlow | acl::kStream));
  const SubcommandSpec* help = c->FindSubcommand("help");
  CHECK(help->flags == (kCmdLoading | kCmdStale));
  CHECK(help->acl_categories == (acl::kSlow | acl::kStream));
  // The container itself: the flags it shows (none), so only @slow, as Redis.
  CHECK(c->acl_categories == acl::kSlow);
}

TEST_CASE("command table: a @scripting subcommand gets @write from its flags, never @read") {
  CHECK(SubcommandAclCategories(kCmdWrite | kCmdNoScript, acl::kScripting) ==
        (acl::kWrite | acl::kSlow | acl::kScripting));
  CHECK(SubcommandAclCategories(kCmdReadonly, acl::kScripting) == (acl::kSlow | acl::kScripting));
  CHECK(SubcommandAclCategories(kCmdReadonly | kCmdFast, 0) == (acl::kRead | acl::kFast));
}

TEST_CASE("command table: a call's categories are its subcommand's") {
  CommandTable t;
  CommandSpec spec = Spec("config");
  spec.flags = kCmdAdmin;
  REQUIRE(t.Register(WithSubcommands(std::move(spec), {{"get", -3}, HelpSubcommand()})));
  const CommandSpec* c = t.Find("config");
  const std::string_view get[] = {"config", "GET", "x"};
  const std::string_view help[] = {"config", "help"};
  const std::string_view alone[] = {"config"};
  CHECK(CallCategories(*c, get) == (acl::kAdmin | acl::kDangerous | acl::kSlow));
  CHECK(CallCategories(*c, help) == acl::kSlow);
  CHECK(CallCategories(*c, alone) == c->acl_categories);
}

TEST_CASE("command table: a subcommand call runs with its subcommand's flags and keys") {
  CommandTable t;
  CommandSpec spec = Spec("xgroup");
  spec.flags = kCmdAdmin | kCmdNoScript | kCmdSkipSlowlog;
  spec.flags_of = [](std::span<const std::string_view>, uint32_t flags) {
    return flags | kCmdMayReplicate;
  };
  REQUIRE(t.Register(WithSubcommands(
      std::move(spec),
      {{"plain", 2},
       {"create", -5, "", "", kCmdWrite | kCmdDenyOom, kSubcommandKey}, HelpSubcommand()})));
  const CommandSpec* c = t.Find("xgroup");
  REQUIRE(c != nullptr);
  const std::string_view create[] = {"xgroup", "CREATE", "s", "g", "$"};
  const std::string_view help[] = {"xgroup", "help"};
  const std::string_view plain[] = {"xgroup", "plain"};
  const std::string_view alone[] = {"xgroup"};
  // The subcommand's own flags, with the container's kv-server-wide ones (skip_slowlog) kept,
  // then flags_of.
  CHECK(c->DeclaredFlags(create) == (kCmdWrite | kCmdDenyOom | kCmdSkipSlowlog));
  CHECK(c->CallFlags(create) == (kCmdWrite | kCmdDenyOom | kCmdSkipSlowlog | kCmdMayReplicate));
  CHECK(c->DeclaredFlags(help) == (kCmdLoading | kCmdStale | kCmdSkipSlowlog));
  CHECK(c->DeclaredFlags(plain) == c->flags);
  CHECK(c->DeclaredFlags(alone) == c->flags);
  std::vector<size_t> pos;
  c->KeyPositions(create, &pos);
  CHECK(pos == std::vector<size_t>{2});
  c->KeyPositions(help, &pos);
  CHECK(pos.empty());
  const QueuedCommand queued{c, {"XGROUP", "create", "s", "g", "0"}, {}};
  CHECK((queued.CallFlags() & kCmdWrite) != 0);
}

TEST_CASE("command table: a removed module's commands stop being found on a thread that found them") {
  CommandTable t;
  REQUIRE(t.Register(Spec("plug.one", "plug")));
  REQUIRE(t.Register(Spec("ping")));
  for (int i = 0; i < 3; ++i) REQUIRE(t.Find("PLUG.ONE") != nullptr);  // cached now
  CHECK(t.RemoveModule("plug") == 1);
  CHECK(t.Find("plug.one") == nullptr);
  CHECK(t.Find("PLUG.ONE") == nullptr);
  CHECK(t.Find("ping") != nullptr);
  // Registered again (a module reloaded): found again, as the new spec.
  REQUIRE(t.Register(Spec("plug.one", "plug2")));
  REQUIRE(t.Find("plug.one") != nullptr);
  CHECK(t.Find("plug.one")->module == "plug2");
}

TEST_CASE("command table: names that share a cache slot are told apart") {
  CommandTable t;
  // Same length, first, second and last letters: the same slot.
  REQUIRE(t.Register(Spec("abxd")));
  REQUIRE(t.Register(Spec("abyd")));
  for (int i = 0; i < 4; ++i) {
    CHECK(t.Find("abxd")->name == "abxd");
    CHECK(t.Find("abyd")->name == "abyd");
  }
  CHECK(t.Find("abzd") == nullptr);
}

TEST_CASE("command table: a new table at a dead table's address answers from its own specs") {
  alignas(CommandTable) unsigned char storage[sizeof(CommandTable)];
  auto* first = new (storage) CommandTable;
  REQUIRE(first->Register(Spec("only.in.first")));
  REQUIRE(first->Find("only.in.first") != nullptr);
  first->~CommandTable();
  auto* second = new (storage) CommandTable;  // same address, same number of registrations
  REQUIRE(second->Register(Spec("other")));
  CHECK(second->Find("only.in.first") == nullptr);
  CHECK(second->Find("other") != nullptr);
  second->~CommandTable();
}

}  // namespace
}  // namespace kv
