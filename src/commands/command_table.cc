#include "commands/command_table.h"

#include "commands/acl_commands.h"

#include <algorithm>
#include <mutex>

#include "core/ascii.h"

namespace kv {

namespace {
// Lower-cases into a stack buffer: the lookup runs for every request, so no allocation.
std::string_view LowerInto(std::string_view s, char* buf, size_t cap) {
  if (s.size() > cap) return {};
  for (size_t i = 0; i < s.size(); ++i) buf[i] = AsciiLowerChar(s[i]);
  return {buf, s.size()};
}

// Every request looks its command up, and a pipeline or a busy client repeats a few names; a
// per-thread direct-mapped cache answers those without the shared lock (an atomic
// read-modify-write on a line all loops share), the hash and the lower-casing. A slot holds a
// spec of the table's current generation only: Register and RemoveModule bump it.
struct FindCache {
  static constexpr size_t kSlots = 64;
  const CommandTable* table = nullptr;
  uint64_t generation = 0;
  const CommandSpec* slots[kSlots] = {};
};
thread_local FindCache t_find_cache;

// Generations are unique across tables, so a table built where a destroyed one lived (tests
// build many) never matches a cache filled from the old one.
std::atomic<uint64_t> g_generations{0};

size_t CacheSlot(std::string_view name) {
  // Length and the first, second and last letters tell the built-in names apart well enough.
  const size_t n = name.size();
  const auto c = [&](size_t i) { return static_cast<size_t>(AsciiLowerChar(name[i])); };
  return (n * 7 + c(0) * 31 + c(n > 1 ? 1 : 0) * 17 + c(n - 1)) % FindCache::kSlots;
}
}  // namespace

void CommandSpec::KeyPositions(std::span<const std::string_view> args,
                               std::vector<size_t>* out) const {
  out->clear();
  if (find_keys) return find_keys(args, out);
  if (!subcommands.empty()) {
    if (const SubcommandSpec* sub = SubcommandOf(args))
      KeyRangePositions(sub->keys, args.size(), out);
    return;
  }
  KeyRangePositions({first_key, last_key, key_step}, args.size(), out);
}

void KeyRangePositions(KeyRange keys, size_t argc, std::vector<size_t>* out) {
  if (keys.first <= 0) return;
  const long last = keys.last < 0 ? static_cast<long>(argc) + keys.last : keys.last;
  const long step = keys.step > 0 ? keys.step : 1;
  for (long i = keys.first; i <= last && i < static_cast<long>(argc); i += step)
    out->push_back(static_cast<size_t>(i));
}

CommandSpec MakeSpec(std::string name, int arity, uint32_t flags, KeyRange keys,
                     CommandHandler handler, std::string group, std::string since,
                     std::string summary, std::string syntax) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  s.first_key = keys.first;
  s.last_key = keys.last;
  s.key_step = keys.step;
  s.handler = handler;
  s.group = std::move(group);
  s.since = std::move(since);
  s.summary = std::move(summary);
  s.syntax = std::move(syntax);
  return s;
}

CommandSpec WithSubcommands(CommandSpec spec, std::span<const SubcommandDecl> subs,
                            ContainerTraits traits) {
  spec.container = traits;
  for (const SubcommandDecl& s : subs) {
    SubcommandSpec sub;
    sub.name = AsciiLower(s.name);
    sub.arity = s.arity;
    sub.flags = s.flags == kContainerFlags ? spec.flags : s.flags;
    sub.keys = s.keys;
    sub.acl_categories = SubcommandAclCategories(sub.flags, traits.sub_categories);
    sub.since = s.since.empty() ? spec.since : std::string(s.since);
    sub.summary = std::string(s.summary);
    spec.subcommands.push_back(std::move(sub));
  }
  return spec;
}

const SubcommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  // A dozen names at most, and only containers look: a scan beats hashing.
  for (const SubcommandSpec& s : subcommands)
    if (AsciiEqualsIgnoreCase(s.name, sub)) return &s;
  return nullptr;
}

CommandTable::CommandTable() { BumpGeneration(); }

void CommandTable::BumpGeneration() {
  generation_.store(g_generations.fetch_add(1, std::memory_order_relaxed) + 1,
                    std::memory_order_release);
}

bool CommandTable::Register(CommandSpec spec) {
  AsciiLowerInPlace(spec.name);
  spec.acl_categories |= DeriveAclCategories(spec);
  std::unique_lock lock(mu_);
  if (index_.count(spec.name)) return false;
  // Every command and subcommand gets a statistics slot of its own, never reused.
  std::sort(spec.subcommands.begin(), spec.subcommands.end(),
            [](const SubcommandSpec& a, const SubcommandSpec& b) { return a.name < b.name; });
  spec.id = next_id_++;
  for (SubcommandSpec& sub : spec.subcommands) {
    sub.full_name = spec.name + "|" + sub.name;
    sub.id = next_id_++;
  }
  storage_.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  index_.emplace(storage_.back()->name, storage_.back().get());
  BumpGeneration();
  return true;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.empty() || name.size() > 64) return nullptr;
  FindCache& cache = t_find_cache;
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cache.table != this || cache.generation != generation) {
    cache = FindCache{};
    cache.table = this;
    cache.generation = generation;
  }
  const CommandSpec*& slot = cache.slots[CacheSlot(name)];
  if (slot != nullptr && AsciiEqualsIgnoreCase(slot->name, name)) return slot;
  char buf[64];
  const std::string_view lower = LowerInto(name, buf, sizeof buf);
  std::shared_lock lock(mu_);
  auto it = index_.find(lower);
  if (it == index_.end()) return nullptr;
  slot = it->second;
  return slot;
}

bool CommandTable::SetDocs(std::string_view name, std::string_view module, std::string summary,
                           std::string syntax) {
  char buf[64];
  const std::string_view lower = LowerInto(name, buf, sizeof buf);
  std::unique_lock lock(mu_);
  auto it = index_.find(lower);
  if (it == index_.end() || it->second->module != module) return false;
  // Specs are only ever mutated here, under the exclusive lock; readers hold the shared one.
  auto* spec = const_cast<CommandSpec*>(it->second);
  spec->summary = std::move(summary);
  spec->syntax = std::move(syntax);
  return true;
}

size_t CommandTable::RemoveModule(std::string_view module) {
  std::unique_lock lock(mu_);
  const size_t removed =
      std::erase_if(index_, [&](const auto& kv) { return kv.second->module == module; });
  BumpGeneration();
  return removed;
}

std::vector<const CommandSpec*> CommandTable::All() const {
  std::vector<const CommandSpec*> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, spec] : index_) out.push_back(spec);
  }
  std::sort(out.begin(), out.end(),
            [](const CommandSpec* a, const CommandSpec* b) { return a->name < b->name; });
  return out;
}

size_t CommandTable::size() const {
  std::shared_lock lock(mu_);
  return index_.size();
}

std::vector<const CommandSpec*> CommandTable::Public() const {
  std::vector<const CommandSpec*> out = All();
  std::erase_if(out, [](const CommandSpec* s) { return s->has(kCmdInternal); });
  return out;
}

const CommandSpec* CommandTable::FindPublic(std::string_view name) const {
  const CommandSpec* s = Find(name);
  return s && !s->has(kCmdInternal) ? s : nullptr;
}

}  // namespace kv
