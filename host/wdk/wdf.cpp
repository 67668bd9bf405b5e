// The KMDF calls of <irqrig/wdf.h> and the framework behind them, built on the kernel calls of
// <irqrig/wdm.h> (KeInsertQueueDpc, KeAcquireInterruptSpinLock, IoConnectInterruptEx ...).
#define IRQRIG_WDF_FRAMEWORK 1
#include "irqrig/wdf.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/core/irql.h"
#include "host/platform/platform.h"
#include "host/wdk/kmdf_host.h"

// What a driver's EvtDriverDeviceAdd fills in before WdfDeviceCreate consumes it.
struct WDFDEVICE_INIT {
  irqrig::host::KmdfFramework* framework = nullptr;
  WDF_PNPPOWER_EVENT_CALLBACKS pnp{};
  WDF_DEVICE_IO_TYPE io_type = WdfDeviceIoBuffered;
};

namespace irqrig::host {
namespace {

enum class Kind { kDriver, kDevice, kInterrupt, kDpc, kSpinLock, kResourceList, kDmaEnabler, kCommonBuffer, kKey };

const char* name_of(Kind k) {
  switch (k) {
    case Kind::kDriver: return "WDFDRIVER";
    case Kind::kDevice: return "WDFDEVICE";
    case Kind::kInterrupt: return "WDFINTERRUPT";
    case Kind::kDpc: return "WDFDPC";
    case Kind::kSpinLock: return "WDFSPINLOCK";
    case Kind::kResourceList: return "WDFCMRESLIST";
    case Kind::kDmaEnabler: return "WDFDMAENABLER";
    case Kind::kCommonBuffer: return "WDFCOMMONBUFFER";
    case Kind::kKey: return "WDFKEY";
  }
  return "WDFOBJECT";
}

ULONG cpu_index() { return KeGetCurrentProcessorNumber(); }

/// While a driver callback runs, the CPU's frame names it: a fault or a trace slice shows the
/// driver's EvtInterruptIsr (say), not the framework's dispatcher the platform called.
class NamedRoutine {
 public:
  explicit NamedRoutine(const void* routine) {
    if (Platform* p = Platform::current_if_any())
      if ((cpu_ = p->running_cpu())) previous_ = cpu_->set_frame_routine(routine);
  }
  ~NamedRoutine() {
    if (cpu_) cpu_->set_frame_routine(previous_);
  }
  NamedRoutine(const NamedRoutine&) = delete;
  NamedRoutine& operator=(const NamedRoutine&) = delete;

 private:
  Cpu* cpu_ = nullptr;
  const void* previous_ = nullptr;
};

/// Calls the driver's callback `fn` with its name on the CPU's frame.
template <class Fn, class... Args>
auto call_driver(Fn* fn, Args&&... args) {
  const NamedRoutine named(reinterpret_cast<const void*>(fn));
  return fn(std::forward<Args>(args)...);
}

/// PASSIVE_LEVEL outside the DPC thread: where the framework may wait (a threaded DPC runs at
/// PASSIVE_LEVEL but must be treated as DISPATCH_LEVEL code).
bool may_wait() {
  if (KeGetCurrentIrql() != PASSIVE_LEVEL) return false;
  const Cpu::Frame* f = Platform::current().current_cpu().frame();
  return !f || f->kind != RoutineKind::kThreadedDpc;
}

/// A KMDF verifier break: the run stops; the platform adds the CPU, the driver routine and the time.
[[noreturn]] void violation(const char* routine, const std::string& what) {
  Platform::current().violation("WDF_VIOLATION", fmt::format("{}: {}", routine, what));
}

[[noreturn]] void not_owned(const char* routine, const char* lock) {
  Platform::current().violation("SPIN_LOCK_NOT_OWNED",
                                fmt::format("{}: CPU {} releases {} it does not hold", routine, cpu_index(), lock));
}

// Context memory: a 16-byte header naming the owner and the type, then the zeroed context,
// aligned as MEMORY_ALLOCATION_ALIGNMENT (16) is on x64.
struct ContextHeader {
  void* owner;
  PCWDF_OBJECT_CONTEXT_TYPE_INFO type;
};
static_assert(sizeof(ContextHeader) == 16 && __STDCPP_DEFAULT_NEW_ALIGNMENT__ >= 16);

PCWDF_OBJECT_CONTEXT_TYPE_INFO unique_type(PCWDF_OBJECT_CONTEXT_TYPE_INFO t) {
  return t && t->UniqueType ? t->UniqueType : t;
}

}  // namespace

class KmdfFramework;

namespace wdf {

/// A framework object: its parent owns it; deleting it deletes its children first. Each live
/// object is in the platform's framework_objects(), which handle checks consult.
class Object {
 public:
  Object(KmdfFramework& fx, Kind kind, Object* parent) : fx_(fx), kind_(kind), parent_(parent) {
    Platform::current().framework_objects().insert(this);
  }
  virtual ~Object() {
    if (Platform* p = Platform::current_if_any()) p->framework_objects().erase(this);
  }
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  KmdfFramework& fx() const { return fx_; }
  Kind kind() const { return kind_; }
  Object* parent() const { return parent_; }
  WDFOBJECT handle() { return static_cast<Object*>(this); }
  /// Its deletion has begun (cleanup ran or runs, or a deferred deletion is on its way).
  bool deleting() const { return deleting_; }
  void set_deleting() { deleting_ = true; }

  /// Cleanup callbacks, children first; then the framework's own rundown (`dispose`). Callbacks
  /// may delete objects (siblings included): the walk is over a snapshot and skips what is gone.
  void cleanup() {
    if (cleaned_) return;
    cleaned_ = deleting_ = true;
    for (Object* child : snapshot())
      if (has_child(child)) child->cleanup();
    dispose();
    if (cleanup_) call_driver(cleanup_, handle());
  }
  /// Destroy callbacks, children first (called after every cleanup, as KMDF does on deletion).
  void destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    for (Object* child : snapshot())
      if (has_child(child)) child->destroy();
    if (destroy_) call_driver(destroy_, handle());
  }

  template <class T, class... Args>
  T& add_child(Args&&... args) {
    auto child = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *child;
    children_.push_back(std::move(child));
    return ref;
  }
  void remove_child(Object& child) {
    children_.erase(std::remove_if(children_.begin(), children_.end(),
                                   [&child](const std::unique_ptr<Object>& c) { return c.get() == &child; }),
                    children_.end());
  }
  bool has_child(const Object* child) const {
    return std::any_of(children_.begin(), children_.end(),
                       [child](const std::unique_ptr<Object>& c) { return c.get() == child; });
  }

  /// Attaches the attributes' callbacks and context. Fails as KMDF does on a bad Size.
  NTSTATUS apply(const WDF_OBJECT_ATTRIBUTES* a) {
    if (!a) return STATUS_SUCCESS;
    if (a->Size != sizeof(WDF_OBJECT_ATTRIBUTES)) return STATUS_INFO_LENGTH_MISMATCH;
    cleanup_ = a->EvtCleanupCallback;
    destroy_ = a->EvtDestroyCallback;
    if (a->ContextTypeInfo) return allocate_context(a->ContextTypeInfo, a->ContextSizeOverride, nullptr);
    return STATUS_SUCCESS;
  }

  NTSTATUS allocate_context(PCWDF_OBJECT_CONTEXT_TYPE_INFO info, std::size_t size_override, PVOID* out) {
    const PCWDF_OBJECT_CONTEXT_TYPE_INFO type = unique_type(info);
    if (PVOID existing = context_of(type)) {
      if (out) *out = existing;
      return STATUS_OBJECT_NAME_EXISTS;  // a success status: the context of that type is returned
    }
    const std::size_t size = std::max(type->ContextSize, size_override);
    // Zeroed bytes (every byte: a max_align_t array leaves long double padding as it was), aligned
    // to operator new's 16.
    auto block = std::make_unique<std::byte[]>(sizeof(ContextHeader) + size);
    auto* header = reinterpret_cast<ContextHeader*>(block.get());
    header->owner = handle();
    header->type = type;
    PVOID ctx = reinterpret_cast<std::byte*>(block.get()) + sizeof(ContextHeader);
    contexts_.push_back(std::move(block));
    if (out) *out = ctx;
    return STATUS_SUCCESS;
  }

  PVOID context_of(PCWDF_OBJECT_CONTEXT_TYPE_INFO type) {
    for (auto& block : contexts_) {
      auto* header = reinterpret_cast<ContextHeader*>(block.get());
      if (header->type == type) return reinterpret_cast<std::byte*>(block.get()) + sizeof(ContextHeader);
    }
    return nullptr;
  }

 protected:
  /// The framework's rundown of the object before the driver's cleanup callback.
  virtual void dispose() {}

 private:
  /// The children now, youngest first (the order KMDF deletes them in).
  std::vector<Object*> snapshot() const {
    std::vector<Object*> out;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) out.push_back(it->get());
    return out;
  }

  bool deleting_ = false, cleaned_ = false, destroyed_ = false;
  KmdfFramework& fx_;
  Kind kind_;
  Object* parent_;
  std::vector<std::unique_ptr<Object>> children_;
  std::vector<std::unique_ptr<std::byte[]>> contexts_;
  PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup_ = nullptr;
  PFN_WDF_OBJECT_CONTEXT_DESTROY destroy_ = nullptr;
};

Object& object_of(WDFOBJECT h, const char* routine) {
  if (!h) violation(routine, "NULL object handle");
  // Looked up before it is read: a deleted object's handle points at freed memory.
  if (!Platform::current().framework_objects().count(h))
    violation(routine, "invalid object handle (not a live framework object)");
  return *static_cast<Object*>(h);
}

template <class T>
T& as(WDFOBJECT h, const char* routine) {
  Object& o = object_of(h, routine);
  if (o.kind() != T::kKind)
    violation(routine, fmt::format("{} handle expected, got a {}", name_of(T::kKind), name_of(o.kind())));
  return static_cast<T&>(o);
}

class Device;

class Driver : public Object {
 public:
  static constexpr Kind kKind = Kind::kDriver;
  Driver(KmdfFramework& fx, const WDF_DRIVER_CONFIG& config, WDF_EXECUTION_LEVEL level, WDF_SYNCHRONIZATION_SCOPE scope)
      : Object(fx, kKind, nullptr), config_(config), level_(level), scope_(scope) {}
  WDF_DRIVER_CONFIG config_;
  WDF_EXECUTION_LEVEL level_;
  WDF_SYNCHRONIZATION_SCOPE scope_;
};

class Interrupt;
class DmaEnabler;

class Device : public Object {
 public:
  static constexpr Kind kKind = Kind::kDevice;
  Device(KmdfFramework& fx, Driver& driver, const WDFDEVICE_INIT& init, WDF_EXECUTION_LEVEL level,
         WDF_SYNCHRONIZATION_SCOPE scope)
      : Object(fx, kKind, &driver), driver_(driver), pnp_(init.pnp), io_type_(init.io_type), level_(level),
        scope_(scope) {
    KeInitializeSpinLock(&callback_lock_);
  }
  /// The callback lock automatic serialization takes, or null when the scope asks for none.
  PKSPIN_LOCK serialization_lock() { return scope_ == WdfSynchronizationScopeDevice ? &callback_lock_ : nullptr; }

  Driver& driver_;
  WDF_PNPPOWER_EVENT_CALLBACKS pnp_;
  WDF_DEVICE_IO_TYPE io_type_;
  WDF_EXECUTION_LEVEL level_;
  WDF_SYNCHRONIZATION_SCOPE scope_;
  KSPIN_LOCK callback_lock_ = 0;
  KIRQL callback_lock_irql_ = PASSIVE_LEVEL;
  std::vector<Interrupt*> interrupts_;    // creation order
  std::vector<DmaEnabler*> dma_enablers_;
};

class SpinLock : public Object {
 public:
  static constexpr Kind kKind = Kind::kSpinLock;
  SpinLock(KmdfFramework& fx, Object* parent) : Object(fx, kKind, parent) { KeInitializeSpinLock(&lock_); }

  /// At `level` (DISPATCH_LEVEL, or an interrupt's SynchronizeIrql when this lock serves one).
  void acquire(const char* routine) {
    if (owner_ == static_cast<long>(cpu_index()))
      violation(routine, "acquiring a WDFSPINLOCK this CPU already holds (a deadlock)");
    KIRQL old;
    KeRaiseIrql(std::max<KIRQL>(KeGetCurrentIrql(), level_), &old);
    KeAcquireSpinLockAtDpcLevel(&lock_);
    owner_ = cpu_index();
    old_irql_ = old;
  }
  void release(const char* routine) {
    if (owner_ != static_cast<long>(cpu_index())) not_owned(routine, "a WDFSPINLOCK");
    owner_ = -1;
    const KIRQL old = old_irql_;
    KeReleaseSpinLockFromDpcLevel(&lock_);
    KeLowerIrql(old);
  }
  /// Taken inside an ISR: IRQL is already at the interrupt's level.
  void acquire_at_irql() {
    KeAcquireSpinLockAtDpcLevel(&lock_);
    owner_ = cpu_index();
  }
  void release_at_irql() {
    owner_ = -1;
    KeReleaseSpinLockFromDpcLevel(&lock_);
  }

  KSPIN_LOCK lock_ = 0;
  KIRQL level_ = DISPATCH_LEVEL;
  KIRQL old_irql_ = PASSIVE_LEVEL;
  long owner_ = -1;
};

class Dpc : public Object {
 public:
  static constexpr Kind kKind = Kind::kDpc;
  Dpc(KmdfFramework& fx, Object& parent, const WDF_DPC_CONFIG& config, PKSPIN_LOCK serialization)
      : Object(fx, kKind, &parent), config_(config), serialization_(serialization) {
    KeInitializeDpc(&dpc_, &Dpc::thunk, this);
  }

  static VOID thunk(PKDPC, PVOID context, PVOID, PVOID) {
    auto* self = static_cast<Dpc*>(context);
    // F1: automatic serialization runs the callback under the parent's callback lock.
    if (self->serialization_) KeAcquireSpinLockAtDpcLevel(self->serialization_);
    call_driver(self->config_.EvtDpcFunc, reinterpret_cast<WDFDPC>(self->handle()));
    if (self->serialization_) KeReleaseSpinLockFromDpcLevel(self->serialization_);
  }

  KDPC dpc_{};
  WDF_DPC_CONFIG config_;
  PKSPIN_LOCK serialization_;

 protected:
  void dispose() override {
    // A queued DPC must not run once its object is gone: dequeue it; not queued, it may be
    // running or about to (dequeued, paying its entry cost), so wait for every DPC queued now.
    // KMDF disposes a DPC object at PASSIVE_LEVEL for this (delete_object defers it there).
    if (!KeRemoveQueueDpc(&dpc_)) KeFlushQueuedDpcs();
  }
};

class ResourceList : public Object {
 public:
  static constexpr Kind kKind = Kind::kResourceList;
  ResourceList(KmdfFramework& fx, Object& parent) : Object(fx, kKind, &parent) {}
  std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR> descriptors_;
};

class Interrupt : public Object {
 public:
  static constexpr Kind kKind = Kind::kInterrupt;
  Interrupt(KmdfFramework& fx, Device& device, const WDF_INTERRUPT_CONFIG& config, SpinLock* spin,
            PKSPIN_LOCK serialization)
      : Object(fx, kKind, &device), device_(device), config_(config), spin_(spin), serialization_(serialization) {
    KeInitializeDpc(&dpc_, &Interrupt::dpc_thunk, this);
    KeInitializeSpinLock(&unbound_lock_);
  }

  WDFINTERRUPT wdf() { return reinterpret_cast<WDFINTERRUPT>(handle()); }
  bool bound() const { return message_ >= 0; }

  /// F4: called from the message's ISR chain at DIRQL holding the interrupt lock.
  BOOLEAN isr(ULONG message_id) {
    if (spin_) spin_->acquire_at_irql();
    const BOOLEAN claimed = call_driver(config_.EvtInterruptIsr, wdf(), message_id);
    if (spin_) spin_->release_at_irql();
    return claimed;
  }

  static VOID dpc_thunk(PKDPC, PVOID context, PVOID, PVOID) {
    auto* self = static_cast<Interrupt*>(context);
    if (self->serialization_) KeAcquireSpinLockAtDpcLevel(self->serialization_);
    call_driver(self->config_.EvtInterruptDpc, self->wdf(), reinterpret_cast<WDFOBJECT>(self->device_.handle()));
    if (self->serialization_) KeReleaseSpinLockFromDpcLevel(self->serialization_);
  }

  /// The interrupt lock at the interrupt's SynchronizeIrql: the WDFSPINLOCK of the configuration,
  /// else the KINTERRUPT's lock, else (no message granted to it) a lock of its own.
  void acquire_lock(const char* routine) {
    Platform::current().require_irql_at_most(routine, sync_irql_);
    if (lock_owner_ == static_cast<long>(cpu_index()))
      violation(routine, "acquiring an interrupt lock this CPU already holds (a deadlock)");
    KIRQL old;
    if (spin_) {
      KeRaiseIrql(sync_irql_, &old);
      spin_->acquire_at_irql();
    } else if (kinterrupt_) {
      old = KeAcquireInterruptSpinLock(kinterrupt_);
    } else {
      KeRaiseIrql(sync_irql_, &old);
      KeAcquireSpinLockAtDpcLevel(&unbound_lock_);
    }
    lock_owner_ = static_cast<long>(cpu_index());
    lock_old_irql_ = old;
  }
  void release_lock(const char* routine) {
    if (lock_owner_ != static_cast<long>(cpu_index())) not_owned(routine, "an interrupt lock");
    lock_owner_ = -1;
    const KIRQL old = lock_old_irql_;
    if (spin_) {
      spin_->release_at_irql();
      KeLowerIrql(old);
    } else if (kinterrupt_) {
      KeReleaseInterruptSpinLock(kinterrupt_, old);
    } else {
      KeReleaseSpinLockFromDpcLevel(&unbound_lock_);
      KeLowerIrql(old);
    }
  }

  Device& device_;
  WDF_INTERRUPT_CONFIG config_;
  SpinLock* spin_;
  PKSPIN_LOCK serialization_;
  KDPC dpc_{};
  KSPIN_LOCK unbound_lock_ = 0;
  long message_ = -1;
  PKINTERRUPT kinterrupt_ = nullptr;
  IO_INTERRUPT_MESSAGE_INFO_ENTRY entry_{};
  KIRQL sync_irql_ = DISPATCH_LEVEL;
  bool connected_ = false;
  bool enabled_ = false;
  long lock_owner_ = -1;
  KIRQL lock_old_irql_ = PASSIVE_LEVEL;

 protected:
  void dispose() override {
    // As a DPC object's: the framework deletes interrupts at PASSIVE_LEVEL, in the remove sequence.
    if (!KeRemoveQueueDpc(&dpc_)) KeFlushQueuedDpcs();
  }
};

class CommonBuffer;

class DmaEnabler : public Object {
 public:
  static constexpr Kind kKind = Kind::kDmaEnabler;
  DmaEnabler(KmdfFramework& fx, Object& parent, Device& device, const WDF_DMA_ENABLER_CONFIG& config)
      : Object(fx, kKind, &parent), device_(device), config_(config) {}
  WDFDMAENABLER wdf() { return reinterpret_cast<WDFDMAENABLER>(handle()); }
  Device& device_;
  WDF_DMA_ENABLER_CONFIG config_;

 protected:
  void dispose() override {
    auto& list = device_.dma_enablers_;
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
  }
};

class CommonBuffer : public Object {
 public:
  static constexpr Kind kKind = Kind::kCommonBuffer;
  CommonBuffer(KmdfFramework& fx, Object& parent, PVOID va, PHYSICAL_ADDRESS logical, std::size_t length,
               bool& window_taken)
      : Object(fx, kKind, &parent), va_(va), logical_(logical), length_(length), window_taken_(window_taken) {
    window_taken_ = true;
  }
  PVOID va_;
  PHYSICAL_ADDRESS logical_;
  std::size_t length_;

 protected:
  void dispose() override { window_taken_ = false; }

 private:
  bool& window_taken_;
};

class Key : public Object {
 public:
  static constexpr Kind kKind = Kind::kKey;
  Key(KmdfFramework& fx, Object& parent, const std::map<std::wstring, ULONG>& values)
      : Object(fx, kKind, &parent), values_(values) {}
  const std::map<std::wstring, ULONG>& values_;
};

}  // namespace wdf

// ---------------------------------------------------------------------------------------------
// The framework instance of one loaded KMDF driver.

struct FrameworkGlobals {
  WDF_DRIVER_GLOBALS pub;  // first: a PWDF_DRIVER_GLOBALS is a pointer to this
  KmdfFramework* fx;
};

class KmdfFramework {
 public:
  enum class Phase { kLoaded, kDriverEntry, kDeviceAdd, kPrepareHardware, kStarting, kStarted, kStopping };

  KmdfFramework(std::string name, KmdfDriverEntry entry, PWDF_DRIVER_GLOBALS* globals_slot)
      : name_(std::move(name)), entry_(entry), globals_slot_(globals_slot) {
    globals_.fx = this;
    fmt::format_to_n(globals_.pub.DriverName, sizeof globals_.pub.DriverName - 1, "{}", name_);
    registry_path_ = L"\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\" + widen(name_);
    driver_name_ = L"\\Driver\\" + widen(name_);
    RtlInitUnicodeString(&registry_path_us_, registry_path_.c_str());
    driver_object_.Type = 4;  // IO_TYPE_DRIVER
    driver_object_.Size = sizeof(DRIVER_OBJECT);
    driver_object_.DriverExtension = &driver_extension_;
    driver_object_.DriverSection = this;  // loader-private on Windows: the rig finds its framework here
    driver_object_.DriverInit = entry_;
    RtlInitUnicodeString(&driver_object_.DriverName, driver_name_.c_str());
    driver_extension_.DriverObject = &driver_object_;
    RtlInitUnicodeString(&driver_extension_.ServiceKeyName, registry_path_.c_str());
  }

  ~KmdfFramework() { release_objects(); }

  static KmdfFramework& of(PDRIVER_OBJECT d, const char* routine) {
    if (!d || d->Type != 4 || !d->DriverSection) violation(routine, "not the DRIVER_OBJECT the rig passed to DriverEntry");
    return *static_cast<KmdfFramework*>(d->DriverSection);
  }
  static KmdfFramework& of(PWDF_DRIVER_GLOBALS g, const char* routine) {
    if (!g) violation(routine, "no WdfDriverGlobals: the driver image was not loaded by the rig");
    return *reinterpret_cast<FrameworkGlobals*>(g)->fx;
  }

  NTSTATUS start(const IRQRIG_RESOURCES& res);
  void stop();
  const std::string& failure() const { return failure_; }

  // Services for the WDF calls.
  Phase phase() const { return phase_; }
  wdf::Driver* driver() { return driver_.get(); }
  wdf::Device* device() { return device_; }
  NTSTATUS create_driver(const WDF_OBJECT_ATTRIBUTES* attributes, const WDF_DRIVER_CONFIG& config, WDFDRIVER* out);
  NTSTATUS create_device(WDFDEVICE_INIT& init, const WDF_OBJECT_ATTRIBUTES* attributes, WDFDEVICE* out);
  NTSTATUS bind_interrupt(wdf::Interrupt& interrupt, const WDF_INTERRUPT_CONFIG& config);
  const IRQRIG_RESOURCES& resources() const { return resources_; }
  bool& common_buffer_taken() { return common_buffer_taken_; }
  const std::map<std::wstring, ULONG>& registry() const { return registry_; }
  const wchar_t* registry_path() const { return registry_path_.c_str(); }
  PDRIVER_OBJECT driver_object() { return &driver_object_; }
  /// Deletes one object at the driver's request (WdfObjectDelete).
  void delete_object(wdf::Object& o);
  void finish_delete(wdf::Object& o);

 private:
  static std::wstring widen(const std::string& s) { return std::wstring(s.begin(), s.end()); }
  static BOOLEAN isr_thunk(PKINTERRUPT, PVOID context, ULONG message_id);
  NTSTATUS fail(NTSTATUS status, std::string why) {
    failure_ = fmt::format("{} (status {:#010x})", why, static_cast<ULONG>(status));
    return status;
  }
  void build_resource_lists();
  NTSTATUS enable_interrupts();
  void disable_interrupts();
  void disconnect();
  void remove_device();
  void unload_driver(bool call_unload = true);
  void release_objects();

  std::string name_;
  KmdfDriverEntry entry_;
  PWDF_DRIVER_GLOBALS* globals_slot_;
  FrameworkGlobals globals_{};
  std::wstring registry_path_, driver_name_;
  UNICODE_STRING registry_path_us_{};
  DRIVER_OBJECT driver_object_{};
  DRIVER_EXTENSION driver_extension_{};
  IRQRIG_RESOURCES resources_{};
  std::map<std::wstring, ULONG> registry_;
  std::unique_ptr<wdf::Driver> driver_;
  wdf::Device* device_ = nullptr;
  wdf::ResourceList* raw_ = nullptr;
  wdf::ResourceList* translated_ = nullptr;
  PIO_INTERRUPT_MESSAGE_INFO messages_ = nullptr;
  std::vector<wdf::Interrupt*> by_message_;
  Phase phase_ = Phase::kLoaded;
  bool common_buffer_taken_ = false;
  bool hardware_prepared_ = false;
  bool in_d0_ = false;
  std::string failure_;
};

NTSTATUS KmdfFramework::create_driver(const WDF_OBJECT_ATTRIBUTES* a, const WDF_DRIVER_CONFIG& config,
                                      WDFDRIVER* out) {
  if (driver_) return STATUS_INVALID_DEVICE_STATE;
  WDF_EXECUTION_LEVEL level = WdfExecutionLevelDispatch;
  WDF_SYNCHRONIZATION_SCOPE scope = WdfSynchronizationScopeNone;
  if (a && a->ExecutionLevel != WdfExecutionLevelInheritFromParent) level = a->ExecutionLevel;
  if (a && a->SynchronizationScope != WdfSynchronizationScopeInheritFromParent) scope = a->SynchronizationScope;
  auto driver = std::make_unique<wdf::Driver>(*this, config, level, scope);
  if (const NTSTATUS st = driver->apply(a); !NT_SUCCESS(st)) return st;
  driver_ = std::move(driver);
  globals_.pub.Driver = reinterpret_cast<WDFDRIVER>(driver_->handle());
  globals_.pub.DriverTag = config.DriverPoolTag;
  globals_.pub.DriverFlags = config.DriverInitFlags;
  if (out) *out = globals_.pub.Driver;
  return STATUS_SUCCESS;
}

NTSTATUS KmdfFramework::create_device(WDFDEVICE_INIT& init, const WDF_OBJECT_ATTRIBUTES* a, WDFDEVICE* out) {
  if (phase_ != Phase::kDeviceAdd || device_) return STATUS_INVALID_DEVICE_STATE;
  WDF_EXECUTION_LEVEL level = driver_->level_;
  WDF_SYNCHRONIZATION_SCOPE scope = driver_->scope_;
  if (a && a->ExecutionLevel != WdfExecutionLevelInheritFromParent) level = a->ExecutionLevel;
  if (a && a->SynchronizationScope != WdfSynchronizationScopeInheritFromParent) scope = a->SynchronizationScope;
  if (scope == WdfSynchronizationScopeQueue) return STATUS_NOT_SUPPORTED;  // no I/O queues in the rig
  auto& device = driver_->add_child<wdf::Device>(*this, *driver_, init, level, scope);
  if (const NTSTATUS st = device.apply(a); !NT_SUCCESS(st)) {
    driver_->remove_child(device);
    return st;
  }
  device_ = &device;
  *out = reinterpret_cast<WDFDEVICE>(device.handle());
  return STATUS_SUCCESS;
}

NTSTATUS KmdfFramework::bind_interrupt(wdf::Interrupt& in, const WDF_INTERRUPT_CONFIG& config) {
  long message = -1;
  if (config.InterruptTranslated || config.InterruptRaw) {
    // KMDF 1.11+: created in EvtDevicePrepareHardware for one translated descriptor.
    if (!config.InterruptTranslated || !config.InterruptRaw || phase_ != Phase::kPrepareHardware)
      return fail(STATUS_INVALID_PARAMETER,
                  "WdfInterruptCreate: InterruptRaw and InterruptTranslated go together, in EvtDevicePrepareHardware");
    auto& list = translated_->descriptors_;
    const auto* d = config.InterruptTranslated;
    if (d < list.data() || d >= list.data() + list.size() || d->Type != CmResourceTypeInterrupt)
      return fail(STATUS_INVALID_PARAMETER,
                  "WdfInterruptCreate: InterruptTranslated is not an interrupt descriptor of ResourcesTranslated");
    message = static_cast<long>(d - list.data()) - 1;  // descriptor 0 is BAR0
    if (by_message_[static_cast<std::size_t>(message)])
      return fail(STATUS_INVALID_PARAMETER,
                  fmt::format("WdfInterruptCreate: message {} already has an interrupt object", message));
  } else {
    if (phase_ != Phase::kDeviceAdd)
      return fail(STATUS_INVALID_DEVICE_STATE,
                  "WdfInterruptCreate outside EvtDriverDeviceAdd needs InterruptRaw/InterruptTranslated");
    // Interrupts created in EvtDriverDeviceAdd take the granted messages in creation order; past
    // the granted count they stay without a resource and are never called.
    for (std::size_t k = 0; k < by_message_.size(); ++k)
      if (!by_message_[k]) {
        message = static_cast<long>(k);
        break;
      }
  }
  if (message >= 0) {
    const auto k = static_cast<std::size_t>(message);
    by_message_[k] = &in;
    in.message_ = message;
    in.entry_ = messages_->MessageInfo[k];
    in.kinterrupt_ = in.entry_.InterruptObject;
  }
  in.sync_irql_ = messages_->UnifiedIrql;
  if (in.spin_) in.spin_->level_ = std::max(in.spin_->level_, in.sync_irql_);
  return STATUS_SUCCESS;
}

BOOLEAN KmdfFramework::isr_thunk(PKINTERRUPT, PVOID context, ULONG message_id) {
  auto* fx = static_cast<KmdfFramework*>(context);
  wdf::Interrupt* in = message_id < fx->by_message_.size() ? fx->by_message_[message_id] : nullptr;
  // Before the framework connects an interrupt object (after EvtDeviceD0Entry) and after it
  // disconnects it, its message is not the driver's to handle.
  if (!in || !in->connected_) return FALSE;
  return in->isr(message_id);
}

void KmdfFramework::build_resource_lists() {
  raw_ = &device_->add_child<wdf::ResourceList>(*this, *device_);
  translated_ = &device_->add_child<wdf::ResourceList>(*this, *device_);
  CM_PARTIAL_RESOURCE_DESCRIPTOR bar{};
  bar.Type = CmResourceTypeMemory;
  bar.ShareDisposition = CmResourceShareDeviceExclusive;
  bar.Flags = CM_RESOURCE_MEMORY_READ_WRITE;
  bar.u.Memory.Start.QuadPart = resources_.Bar0.QuadPart;  // scalar: the descriptor is pack(4)
  bar.u.Memory.Length = resources_.Bar0Length;
  raw_->descriptors_.push_back(bar);
  translated_->descriptors_.push_back(bar);
  // MSI-X: one descriptor per granted message (as the PnP manager reports them).
  for (ULONG k = 0; k < messages_->MessageCount; ++k) {
    const IO_INTERRUPT_MESSAGE_INFO_ENTRY& e = messages_->MessageInfo[k];
    CM_PARTIAL_RESOURCE_DESCRIPTOR d{};
    d.Type = CmResourceTypeInterrupt;
    d.ShareDisposition = CmResourceShareDeviceExclusive;
    d.Flags = CM_RESOURCE_INTERRUPT_LATCHED | CM_RESOURCE_INTERRUPT_MESSAGE;
    CM_PARTIAL_RESOURCE_DESCRIPTOR t = d;
    d.u.MessageInterrupt.Raw.Group = 0;
    d.u.MessageInterrupt.Raw.MessageCount = 1;
    d.u.MessageInterrupt.Raw.Vector = e.MessageData;
    d.u.MessageInterrupt.Raw.Affinity = e.TargetProcessorSet;
    t.u.MessageInterrupt.Translated.Level = e.Irql;
    t.u.MessageInterrupt.Translated.Group = 0;
    t.u.MessageInterrupt.Translated.Vector = e.Vector;
    t.u.MessageInterrupt.Translated.Affinity = e.TargetProcessorSet;
    raw_->descriptors_.push_back(d);
    translated_->descriptors_.push_back(t);
  }
}

NTSTATUS KmdfFramework::start(const IRQRIG_RESOURCES& res) {
  failure_.clear();
  resources_ = res;
  registry_ = {{L"RingEntries", res.RingEntries},
               {L"DpcImportance", static_cast<ULONG>(res.Parameters.DpcImportance)},
               {L"ThreadedDpc", res.Parameters.ThreadedDpc ? 1u : 0u}};
  if (res.Parameters.DpcTargetProcessor >= 0)
    registry_[L"DpcTargetProcessor"] = static_cast<ULONG>(res.Parameters.DpcTargetProcessor);
  if (globals_slot_) *globals_slot_ = &globals_.pub;

  phase_ = Phase::kDriverEntry;
  NTSTATUS st = call_driver(entry_, &driver_object_, &registry_path_us_);
  if (!NT_SUCCESS(st)) {
    // The framework deletes a driver object whose DriverEntry failed; EvtDriverUnload is not called.
    unload_driver(false);
    return fail(st, "DriverEntry failed");
  }
  if (!driver_) {
    unload_driver(false);
    return fail(STATUS_INVALID_DEVICE_STATE,
                "DriverEntry returned without calling WdfDriverCreate (the rig runs KMDF drivers through "
                "DriverEntry; a WDM plug-in exports IrqrigDriverEntry)");
  }
  if ((driver_->config_.DriverInitFlags & WdfDriverInitNonPnpDriver) || !driver_->config_.EvtDriverDeviceAdd) {
    unload_driver();
    return fail(STATUS_INVALID_DEVICE_REQUEST, "a non-PnP KMDF driver (no EvtDriverDeviceAdd) has no device to start");
  }

  // The PnP manager has assigned the messages before the device starts; the rig's platform does
  // that when they are connected, so the framework connects them now and keeps them inert
  // (its ISR declines) until the interrupt objects are connected after EvtDeviceD0Entry.
  IO_CONNECT_INTERRUPT_PARAMETERS connect{};
  connect.Version = CONNECT_MESSAGE_BASED;
  connect.MessageBased.PhysicalDeviceObject = res.PhysicalDeviceObject;
  connect.MessageBased.ConnectionContext.InterruptMessageTable = &messages_;
  connect.MessageBased.MessageServiceRoutine = &KmdfFramework::isr_thunk;
  connect.MessageBased.ServiceContext = this;
  st = IoConnectInterruptEx(&connect);
  if (!NT_SUCCESS(st)) {
    unload_driver();
    return fail(st, "the framework could not connect the device's messages");
  }
  by_message_.assign(messages_->MessageCount, nullptr);

  phase_ = Phase::kDeviceAdd;
  WDFDEVICE_INIT init;
  init.framework = this;
  WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&init.pnp);
  st = call_driver(driver_->config_.EvtDriverDeviceAdd, reinterpret_cast<WDFDRIVER>(driver_->handle()), &init);
  if (NT_SUCCESS(st) && !device_) st = STATUS_INVALID_DEVICE_STATE;
  if (!NT_SUCCESS(st)) {
    const std::string why = failure_.empty() ? (device_ ? "EvtDriverDeviceAdd failed"
                                                        : "EvtDriverDeviceAdd did not create a device (WdfDeviceCreate)")
                                             : failure_;
    remove_device();
    unload_driver();
    return fail(st, why);
  }

  build_resource_lists();
  phase_ = Phase::kPrepareHardware;
  const auto& pnp = device_->pnp_;
  const WDFDEVICE dev = reinterpret_cast<WDFDEVICE>(device_->handle());
  if (pnp.EvtDevicePrepareHardware) {
    st = call_driver(pnp.EvtDevicePrepareHardware, dev, reinterpret_cast<WDFCMRESLIST>(raw_->handle()),
                     reinterpret_cast<WDFCMRESLIST>(translated_->handle()));
    if (!NT_SUCCESS(st)) {
      const std::string why = failure_.empty() ? "EvtDevicePrepareHardware failed" : failure_;
      remove_device();
      unload_driver();
      return fail(st, why);
    }
  }
  hardware_prepared_ = true;

  phase_ = Phase::kStarting;
  if (pnp.EvtDeviceD0Entry) {
    st = call_driver(pnp.EvtDeviceD0Entry, dev, WdfPowerDeviceD3Final);
    if (!NT_SUCCESS(st)) {
      remove_device();
      unload_driver();
      return fail(st, "EvtDeviceD0Entry failed");
    }
  }
  in_d0_ = true;
  st = enable_interrupts();
  if (NT_SUCCESS(st) && pnp.EvtDeviceD0EntryPostInterruptsEnabled)
    st = call_driver(pnp.EvtDeviceD0EntryPostInterruptsEnabled, dev, WdfPowerDeviceD3Final);
  for (wdf::DmaEnabler* e : device_->dma_enablers_) {
    const WDFDMAENABLER h = e->wdf();
    if (NT_SUCCESS(st) && e->config_.EvtDmaEnablerFill) st = call_driver(e->config_.EvtDmaEnablerFill, h);
    if (NT_SUCCESS(st) && e->config_.EvtDmaEnablerEnable) st = call_driver(e->config_.EvtDmaEnablerEnable, h);
    if (NT_SUCCESS(st) && e->config_.EvtDmaEnablerSelfManagedIoStart)
      call_driver(e->config_.EvtDmaEnablerSelfManagedIoStart, h);
  }
  if (NT_SUCCESS(st) && pnp.EvtDeviceSelfManagedIoInit) st = call_driver(pnp.EvtDeviceSelfManagedIoInit, dev);
  if (!NT_SUCCESS(st)) {
    const std::string why = failure_.empty() ? "the device's power-up sequence failed" : failure_;
    remove_device();
    unload_driver();
    return fail(st, why);
  }
  phase_ = Phase::kStarted;
  failure_.clear();  // a create the driver recovered from is not why anything failed
  return STATUS_SUCCESS;
}

NTSTATUS KmdfFramework::enable_interrupts() {
  for (wdf::Interrupt* in : device_->interrupts_) {
    in->connected_ = in->bound();
    if (!in->config_.EvtInterruptEnable) {
      in->enabled_ = true;
      continue;
    }
    // EvtInterruptEnable runs at DIRQL holding the interrupt lock.
    in->acquire_lock("EvtInterruptEnable");
    const NTSTATUS st =
        call_driver(in->config_.EvtInterruptEnable, in->wdf(), reinterpret_cast<WDFDEVICE>(device_->handle()));
    in->release_lock("EvtInterruptEnable");
    if (!NT_SUCCESS(st)) return fail(st, "EvtInterruptEnable failed");
    in->enabled_ = true;
  }
  return STATUS_SUCCESS;
}

void KmdfFramework::disable_interrupts() {
  const WDFDEVICE dev = reinterpret_cast<WDFDEVICE>(device_->handle());
  for (auto it = device_->interrupts_.rbegin(); it != device_->interrupts_.rend(); ++it) {
    wdf::Interrupt* in = *it;
    if (in->enabled_ && in->config_.EvtInterruptDisable) {
      in->acquire_lock("EvtInterruptDisable");
      call_driver(in->config_.EvtInterruptDisable, in->wdf(), dev);
      in->release_lock("EvtInterruptDisable");
    }
    in->enabled_ = false;
    in->connected_ = false;
  }
}

void KmdfFramework::disconnect() {
  if (!messages_) return;
  IO_DISCONNECT_INTERRUPT_PARAMETERS p{};
  p.Version = CONNECT_MESSAGE_BASED;
  p.ConnectionContext.InterruptMessageTable = messages_;
  IoDisconnectInterruptEx(&p);
  messages_ = nullptr;
  for (wdf::Interrupt* in : device_ ? device_->interrupts_ : std::vector<wdf::Interrupt*>{}) in->kinterrupt_ = nullptr;
}

// The remove sequence from wherever the start got to; then the device's objects are deleted.
void KmdfFramework::remove_device() {
  phase_ = Phase::kStopping;
  // Out of D0 (a start that failed before it), the messages go first: no ISR may find an
  // interrupt object the deletion below frees. In D0 they go after EvtInterruptDisable.
  if (!in_d0_) disconnect();
  if (device_) {
    const auto& pnp = device_->pnp_;
    const WDFDEVICE dev = reinterpret_cast<WDFDEVICE>(device_->handle());
    if (in_d0_) {
      if (pnp.EvtDeviceSelfManagedIoSuspend) call_driver(pnp.EvtDeviceSelfManagedIoSuspend, dev);
      for (auto it = device_->dma_enablers_.rbegin(); it != device_->dma_enablers_.rend(); ++it) {
        const auto& c = (*it)->config_;
        if (c.EvtDmaEnablerSelfManagedIoStop) call_driver(c.EvtDmaEnablerSelfManagedIoStop, (*it)->wdf());
        if (c.EvtDmaEnablerDisable) call_driver(c.EvtDmaEnablerDisable, (*it)->wdf());
        if (c.EvtDmaEnablerFlush) call_driver(c.EvtDmaEnablerFlush, (*it)->wdf());
      }
      if (pnp.EvtDeviceD0ExitPreInterruptsDisabled)
        call_driver(pnp.EvtDeviceD0ExitPreInterruptsDisabled, dev, WdfPowerDeviceD3Final);
      disable_interrupts();
      disconnect();
      if (pnp.EvtDeviceD0Exit) call_driver(pnp.EvtDeviceD0Exit, dev, WdfPowerDeviceD3Final);
      if (pnp.EvtDeviceSelfManagedIoFlush) call_driver(pnp.EvtDeviceSelfManagedIoFlush, dev);
      in_d0_ = false;
    }
    if (hardware_prepared_ && pnp.EvtDeviceReleaseHardware)
      call_driver(pnp.EvtDeviceReleaseHardware, dev, reinterpret_cast<WDFCMRESLIST>(translated_->handle()));
    hardware_prepared_ = false;
    if (pnp.EvtDeviceSelfManagedIoCleanup) call_driver(pnp.EvtDeviceSelfManagedIoCleanup, dev);
    device_->cleanup();
    device_->destroy();
    driver_->remove_child(*device_);
    device_ = nullptr;
    raw_ = translated_ = nullptr;
  }
  by_message_.clear();
}

void KmdfFramework::unload_driver(bool call_unload) {
  if (driver_) {
    if (call_unload && driver_->config_.EvtDriverUnload)
      call_driver(driver_->config_.EvtDriverUnload, reinterpret_cast<WDFDRIVER>(driver_->handle()));
    driver_->cleanup();
    driver_->destroy();
    driver_.reset();
  }
  // The driver unloads: Driver Verifier reports the pool it has not freed.
  Platform::current().report_pool_leaks(name_);
  globals_.pub.Driver = nullptr;
  if (globals_slot_) *globals_slot_ = nullptr;
  phase_ = Phase::kLoaded;
}

void KmdfFramework::stop() {
  if (phase_ != Phase::kStarted) return;
  remove_device();
  unload_driver();
}

void KmdfFramework::release_objects() {
  // No callbacks here: the run is over (or DriverEntry failed) and the memory goes back.
  device_ = nullptr;
  raw_ = translated_ = nullptr;
  by_message_.clear();
  driver_.reset();
  globals_.pub.Driver = nullptr;
  if (globals_slot_) *globals_slot_ = nullptr;
}

void KmdfFramework::delete_object(wdf::Object& o) {
  switch (o.kind()) {
    case Kind::kDriver:
    case Kind::kDevice:
    case Kind::kInterrupt:
    case Kind::kResourceList:
      violation("WdfObjectDelete", fmt::format("a driver cannot delete a {}; the framework does", name_of(o.kind())));
    default:
      break;
  }
  if (o.kind() == Kind::kCommonBuffer) Platform::current().require_irql("WdfObjectDelete", PASSIVE_LEVEL);
  // Deleted already (by its parent's deletion under way, or a deferred deletion): nothing to add.
  if (o.deleting()) return;
  if (o.kind() == Kind::kDpc && !may_wait()) {
    // KMDF disposes a DPC object at PASSIVE_LEVEL (it may have to wait for the DPC to finish):
    // from DISPATCH_LEVEL the deletion is finished by a system worker thread on this CPU. The
    // object stays valid until then, so a DPC already running still has it.
    o.set_deleting();
    Platform::current().current_cpu().queue_passive([this, object = &o] {
      if (Platform::current().framework_objects().count(object)) finish_delete(*object);
    });
    return;
  }
  finish_delete(o);
}

void KmdfFramework::finish_delete(wdf::Object& o) {
  o.cleanup();
  o.destroy();
  o.parent()->remove_child(o);
}

// ---------------------------------------------------------------------------------------------
// KmdfHost

KmdfHost::KmdfHost(std::string name, KmdfDriverEntry entry, struct _WDF_DRIVER_GLOBALS** globals)
    : fx_(std::make_unique<KmdfFramework>(std::move(name), entry, globals)) {}
KmdfHost::~KmdfHost() = default;
NTSTATUS KmdfHost::start(const IRQRIG_RESOURCES& resources) { return fx_->start(resources); }
void KmdfHost::stop() { fx_->stop(); }
const std::string& KmdfHost::failure() const { return fx_->failure(); }

}  // namespace irqrig::host

// ---------------------------------------------------------------------------------------------
// The WDF calls.

using irqrig::host::KmdfFramework;
using irqrig::host::Platform;
using irqrig::host::violation;
namespace wdf = irqrig::host::wdf;
using wdf::as;

namespace {

wdf::Object* parent_of(const WDF_OBJECT_ATTRIBUTES* a, const char* routine) {
  return a && a->ParentObject ? &wdf::object_of(a->ParentObject, routine) : nullptr;
}

/// The device an object hangs under (itself for a device), or null.
wdf::Device* device_above(wdf::Object* o) {
  for (; o; o = o->parent())
    if (o->kind() == irqrig::host::Kind::kDevice) return static_cast<wdf::Device*>(o);
  return nullptr;
}

}  // namespace

extern "C" {

PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo) {
  wdf::Object& o = wdf::object_of(Handle, "WdfObjectGetTypedContext");
  if (!TypeInfo) violation("WdfObjectGetTypedContext", "NULL context type");
  return o.context_of(irqrig::host::unique_type(TypeInfo));
}

NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID* Context) {
  wdf::Object& o = wdf::object_of(Handle, "WdfObjectAllocateContext");
  Platform::current().require_irql_at_most("WdfObjectAllocateContext", DISPATCH_LEVEL);
  if (!ContextAttributes || !ContextAttributes->ContextTypeInfo) return STATUS_INVALID_PARAMETER;
  if (ContextAttributes->Size != sizeof(WDF_OBJECT_ATTRIBUTES)) return STATUS_INFO_LENGTH_MISMATCH;
  if (ContextAttributes->ParentObject) return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
  return o.allocate_context(ContextAttributes->ContextTypeInfo, ContextAttributes->ContextSizeOverride, Context);
}

WDFOBJECT WdfObjectContextGetObject(PVOID ContextPointer) {
  if (!ContextPointer) violation("WdfObjectContextGetObject", "NULL context pointer");
  const auto* header = reinterpret_cast<const irqrig::host::ContextHeader*>(static_cast<std::byte*>(ContextPointer) -
                                                                           sizeof(irqrig::host::ContextHeader));
  return wdf::object_of(header->owner, "WdfObjectContextGetObject").handle();
}

VOID WdfObjectDelete(WDFOBJECT Object) {
  wdf::Object& o = wdf::object_of(Object, "WdfObjectDelete");
  Platform::current().require_irql_at_most("WdfObjectDelete", DISPATCH_LEVEL);
  o.fx().delete_object(o);
}

VOID WdfObjectAcquireLock(WDFOBJECT Object) {
  auto& device = as<wdf::Device>(Object, "WdfObjectAcquireLock");
  Platform::current().require_irql_at_most("WdfObjectAcquireLock", DISPATCH_LEVEL);
  if (device.level_ == WdfExecutionLevelPassive)
    violation("WdfObjectAcquireLock", "the passive-level callback lock (a mutex) is not modelled");
  device.callback_lock_irql_ = KeAcquireSpinLockRaiseToDpc(&device.callback_lock_);
}

VOID WdfObjectReleaseLock(WDFOBJECT Object) {
  auto& device = as<wdf::Device>(Object, "WdfObjectReleaseLock");
  KeReleaseSpinLock(&device.callback_lock_, device.callback_lock_irql_);
}

NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                         PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER* Driver) {
  KmdfFramework& fx = KmdfFramework::of(DriverObject, "WdfDriverCreate");
  Platform::current().require_irql("WdfDriverCreate", PASSIVE_LEVEL);
  (void)RegistryPath;
  if (!DriverConfig) return STATUS_INVALID_PARAMETER;
  if (DriverConfig->Size != sizeof(WDF_DRIVER_CONFIG)) return STATUS_INFO_LENGTH_MISMATCH;
  if (fx.phase() != KmdfFramework::Phase::kDriverEntry) return STATUS_INVALID_DEVICE_STATE;
  return fx.create_driver(DriverAttributes, *DriverConfig, Driver);
}

PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver) {
  auto& d = as<wdf::Driver>(Driver, "WdfDriverGetRegistryPath");
  return const_cast<PWSTR>(d.fx().registry_path());
}

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver) {
  return as<wdf::Driver>(Driver, "WdfDriverWdmGetDriverObject").fx().driver_object();
}

NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK, PWDF_OBJECT_ATTRIBUTES KeyAttributes,
                                            WDFKEY* Key) {
  auto& d = as<wdf::Driver>(Driver, "WdfDriverOpenParametersRegistryKey");
  Platform::current().require_irql("WdfDriverOpenParametersRegistryKey", PASSIVE_LEVEL);
  if (!Key) return STATUS_INVALID_PARAMETER;
  wdf::Object* parent = parent_of(KeyAttributes, "WdfDriverOpenParametersRegistryKey");
  auto& key = (parent ? *parent : d).add_child<wdf::Key>(d.fx(), parent ? *parent : d, d.fx().registry());
  if (const NTSTATUS st = key.apply(KeyAttributes); !NT_SUCCESS(st)) {
    key.parent()->remove_child(key);
    return st;
  }
  *Key = reinterpret_cast<WDFKEY>(key.handle());
  return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceOpenRegistryKey(WDFDEVICE Device, ULONG DeviceInstanceKeyType, ACCESS_MASK,
                                  PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY* Key) {
  auto& d = as<wdf::Device>(Device, "WdfDeviceOpenRegistryKey");
  Platform::current().require_irql("WdfDeviceOpenRegistryKey", PASSIVE_LEVEL);
  if (!Key) return STATUS_INVALID_PARAMETER;
  // The device's hardware key (PLUGPLAY_REGKEY_DEVICE) holds the same settings; the others are empty.
  static const std::map<std::wstring, ULONG> kEmpty;
  const bool hardware_key = (DeviceInstanceKeyType & ~PLUGPLAY_REGKEY_CURRENT_HWPROFILE) == PLUGPLAY_REGKEY_DEVICE;
  wdf::Object* parent = parent_of(KeyAttributes, "WdfDeviceOpenRegistryKey");
  auto& key = (parent ? *parent : d).add_child<wdf::Key>(d.fx(), parent ? *parent : d,
                                                          hardware_key ? d.fx().registry() : kEmpty);
  if (const NTSTATUS st = key.apply(KeyAttributes); !NT_SUCCESS(st)) {
    key.parent()->remove_child(key);
    return st;
  }
  *Key = reinterpret_cast<WDFKEY>(key.handle());
  return STATUS_SUCCESS;
}

NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value) {
  auto& key = as<wdf::Key>(Key, "WdfRegistryQueryULong");
  Platform::current().require_irql("WdfRegistryQueryULong", PASSIVE_LEVEL);
  if (!ValueName || !Value || !ValueName->Buffer) return STATUS_INVALID_PARAMETER;
  const std::wstring name(ValueName->Buffer, ValueName->Length / sizeof(WCHAR));
  const auto it = key.values_.find(name);
  if (it == key.values_.end()) return STATUS_OBJECT_NAME_NOT_FOUND;
  *Value = it->second;
  return STATUS_SUCCESS;
}

VOID WdfRegistryClose(WDFKEY Key) {
  auto& key = as<wdf::Key>(Key, "WdfRegistryClose");
  key.fx().delete_object(key);
}

ULONG WdfCmResourceListGetCount(WDFCMRESLIST List) {
  auto& list = as<wdf::ResourceList>(List, "WdfCmResourceListGetCount");
  return static_cast<ULONG>(list.descriptors_.size());
}

PCM_PARTIAL_RESOURCE_DESCRIPTOR WdfCmResourceListGetDescriptor(WDFCMRESLIST List, ULONG Index) {
  auto& list = as<wdf::ResourceList>(List, "WdfCmResourceListGetDescriptor");
  return Index < list.descriptors_.size() ? &list.descriptors_[Index] : nullptr;
}

VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit,
                                            PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks) {
  if (!DeviceInit || !DeviceInit->framework)
    violation("WdfDeviceInitSetPnpPowerEventCallbacks", "not the WDFDEVICE_INIT of EvtDriverDeviceAdd");
  if (!PnpPowerEventCallbacks || PnpPowerEventCallbacks->Size != sizeof(WDF_PNPPOWER_EVENT_CALLBACKS))
    violation("WdfDeviceInitSetPnpPowerEventCallbacks", "WDF_PNPPOWER_EVENT_CALLBACKS with a wrong Size");
  DeviceInit->pnp = *PnpPowerEventCallbacks;
}

VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType) {
  if (!DeviceInit || !DeviceInit->framework)
    violation("WdfDeviceInitSetIoType", "not the WDFDEVICE_INIT of EvtDriverDeviceAdd");
  DeviceInit->io_type = IoType;
}

NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT* DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE* Device) {
  if (!DeviceInit || !*DeviceInit || !(*DeviceInit)->framework)
    violation("WdfDeviceCreate", "not the WDFDEVICE_INIT of EvtDriverDeviceAdd");
  Platform::current().require_irql("WdfDeviceCreate", PASSIVE_LEVEL);
  if (!Device) return STATUS_INVALID_PARAMETER;
  const NTSTATUS st = (*DeviceInit)->framework->create_device(**DeviceInit, DeviceAttributes, Device);
  if (NT_SUCCESS(st)) *DeviceInit = nullptr;  // consumed, as KMDF does
  return st;
}

WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device) {
  auto& d = as<wdf::Device>(Device, "WdfDeviceGetDriver");
  return reinterpret_cast<WDFDRIVER>(d.driver_.handle());
}

NTSTATUS WdfDpcCreate(PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC* Dpc) {
  Platform::current().require_irql_at_most("WdfDpcCreate", DISPATCH_LEVEL);
  if (!Config || !Config->EvtDpcFunc || !Dpc) return STATUS_INVALID_PARAMETER;
  if (Config->Size != sizeof(WDF_DPC_CONFIG)) return STATUS_INFO_LENGTH_MISMATCH;
  // A DPC object's parent is a device or an object under one (KMDF requires it).
  wdf::Object* parent = parent_of(Attributes, "WdfDpcCreate");
  if (!parent) return STATUS_WDF_PARENT_NOT_SPECIFIED;
  wdf::Device* device = device_above(parent);
  if (!device) return STATUS_WDF_PARENT_NOT_SPECIFIED;
  PKSPIN_LOCK serialization = nullptr;
  if (Config->AutomaticSerialization) {
    if (device->serialization_lock() && device->level_ == WdfExecutionLevelPassive)
      return STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL;
    serialization = device->serialization_lock();
  }
  auto& dpc = parent->add_child<wdf::Dpc>(parent->fx(), *parent, *Config, serialization);
  if (const NTSTATUS st = dpc.apply(Attributes); !NT_SUCCESS(st)) {
    parent->remove_child(dpc);
    return st;
  }
  *Dpc = reinterpret_cast<WDFDPC>(dpc.handle());
  return STATUS_SUCCESS;
}

BOOLEAN WdfDpcEnqueue(WDFDPC Dpc) {
  // F2: KeInsertQueueDpc(dpc, NULL, NULL).
  auto& dpc = as<wdf::Dpc>(Dpc, "WdfDpcEnqueue");
  return KeInsertQueueDpc(&dpc.dpc_, nullptr, nullptr);
}

BOOLEAN WdfDpcCancel(WDFDPC Dpc, BOOLEAN Wait) {
  auto& dpc = as<wdf::Dpc>(Dpc, "WdfDpcCancel");
  if (Wait) {
    Platform::current().require_irql("WdfDpcCancel(Wait=TRUE)", PASSIVE_LEVEL);
  } else {
    Platform::current().require_irql_at_most("WdfDpcCancel", DISPATCH_LEVEL);
  }
  // F3: KeRemoveQueueDpc, then a flush if that found nothing queued and the caller waits.
  const BOOLEAN removed = KeRemoveQueueDpc(&dpc.dpc_);
  if (!removed && Wait) KeFlushQueuedDpcs();
  return removed;
}

WDFOBJECT WdfDpcGetParentObject(WDFDPC Dpc) {
  auto& dpc = as<wdf::Dpc>(Dpc, "WdfDpcGetParentObject");
  return dpc.parent()->handle();
}

PKDPC WdfDpcWdmGetDpc(WDFDPC Dpc) { return &as<wdf::Dpc>(Dpc, "WdfDpcWdmGetDpc").dpc_; }

NTSTATUS WdfInterruptCreate(WDFDEVICE Device, PWDF_INTERRUPT_CONFIG Configuration, PWDF_OBJECT_ATTRIBUTES Attributes,
                            WDFINTERRUPT* Interrupt) {
  auto& device = as<wdf::Device>(Device, "WdfInterruptCreate");
  Platform::current().require_irql("WdfInterruptCreate", PASSIVE_LEVEL);
  if (!Configuration || !Interrupt || !Configuration->EvtInterruptIsr) return STATUS_INVALID_PARAMETER;
  if (Configuration->Size != sizeof(WDF_INTERRUPT_CONFIG)) return STATUS_INFO_LENGTH_MISMATCH;
  // Passive-level interrupt handling (an ISR at PASSIVE_LEVEL under a wait lock, work items) is
  // for GPIO/serial-bus-connected devices; a PCIe endpoint's messages are serviced at DIRQL.
  if (Configuration->PassiveHandling || Configuration->WaitLock || Configuration->EvtInterruptWorkItem)
    return STATUS_NOT_SUPPORTED;
  if (Attributes && Attributes->ParentObject && Attributes->ParentObject != Device)
    return STATUS_WDF_PARENT_ALREADY_ASSIGNED;  // an interrupt's parent is always its device
  PKSPIN_LOCK serialization = nullptr;
  if (Configuration->AutomaticSerialization && Configuration->EvtInterruptDpc) {
    if (device.serialization_lock() && device.level_ == WdfExecutionLevelPassive)
      return STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL;
    serialization = device.serialization_lock();
  }
  wdf::SpinLock* spin =
      Configuration->SpinLock ? &as<wdf::SpinLock>(Configuration->SpinLock, "WdfInterruptCreate") : nullptr;
  auto& fx = device.fx();
  auto& in = device.add_child<wdf::Interrupt>(fx, device, *Configuration, spin, serialization);
  NTSTATUS st = in.apply(Attributes);
  if (NT_SUCCESS(st)) st = fx.bind_interrupt(in, *Configuration);
  if (!NT_SUCCESS(st)) {
    device.remove_child(in);
    return st;
  }
  device.interrupts_.push_back(&in);
  *Interrupt = in.wdf();
  return STATUS_SUCCESS;
}

BOOLEAN WdfInterruptQueueDpcForIsr(WDFINTERRUPT Interrupt) {
  auto& in = as<wdf::Interrupt>(Interrupt, "WdfInterruptQueueDpcForIsr");
  Platform::current().require_irql_at_most("WdfInterruptQueueDpcForIsr", in.sync_irql_);
  if (!in.config_.EvtInterruptDpc)
    violation("WdfInterruptQueueDpcForIsr", "the interrupt object has no EvtInterruptDpc");
  // F5: the interrupt's one DPC, on the current processor; queued already -> FALSE.
  return KeInsertQueueDpc(&in.dpc_, nullptr, nullptr);
}

BOOLEAN WdfInterruptSynchronize(WDFINTERRUPT Interrupt, PFN_WDF_INTERRUPT_SYNCHRONIZE Callback, WDFCONTEXT Context) {
  auto& in = as<wdf::Interrupt>(Interrupt, "WdfInterruptSynchronize");
  Platform::current().require_irql_at_most("WdfInterruptSynchronize", DISPATCH_LEVEL);
  if (!Callback) violation("WdfInterruptSynchronize", "NULL callback");
  in.acquire_lock("WdfInterruptSynchronize");
  const BOOLEAN result = irqrig::host::call_driver(Callback, Interrupt, Context);
  in.release_lock("WdfInterruptSynchronize");
  return result;
}

VOID WdfInterruptAcquireLock(WDFINTERRUPT Interrupt) {
  as<wdf::Interrupt>(Interrupt, "WdfInterruptAcquireLock").acquire_lock("WdfInterruptAcquireLock");
}

VOID WdfInterruptReleaseLock(WDFINTERRUPT Interrupt) {
  as<wdf::Interrupt>(Interrupt, "WdfInterruptReleaseLock").release_lock("WdfInterruptReleaseLock");
}

VOID WdfInterruptGetInfo(WDFINTERRUPT Interrupt, PWDF_INTERRUPT_INFO Info) {
  auto& in = as<wdf::Interrupt>(Interrupt, "WdfInterruptGetInfo");
  if (!Info || Info->Size != sizeof(WDF_INTERRUPT_INFO))
    violation("WdfInterruptGetInfo", "WDF_INTERRUPT_INFO not initialised with WDF_INTERRUPT_INFO_INIT");
  WDF_INTERRUPT_INFO_INIT(Info);
  if (!in.bound()) return;  // no message granted to this object: nothing to describe
  Info->TargetProcessorSet = in.entry_.TargetProcessorSet;
  Info->MessageNumber = static_cast<ULONG>(in.message_);
  Info->Vector = in.entry_.Vector;
  Info->Irql = in.entry_.Irql;
  Info->Mode = in.entry_.Mode;
  Info->Polarity = WdfInterruptActiveHigh;
  Info->MessageSignaled = TRUE;
  Info->ShareDisposition = CmResourceShareDeviceExclusive;
  Info->Group = 0;
}

WDFDEVICE WdfInterruptGetDevice(WDFINTERRUPT Interrupt) {
  return reinterpret_cast<WDFDEVICE>(as<wdf::Interrupt>(Interrupt, "WdfInterruptGetDevice").device_.handle());
}

PKINTERRUPT WdfInterruptWdmGetInterrupt(WDFINTERRUPT Interrupt) {
  return as<wdf::Interrupt>(Interrupt, "WdfInterruptWdmGetInterrupt").kinterrupt_;
}

NTSTATUS IrqrigWdfSpinLockCreate(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES SpinLockAttributes,
                                 WDFSPINLOCK* SpinLock) {
  Platform::current().require_irql_at_most("WdfSpinLockCreate", DISPATCH_LEVEL);
  if (!SpinLock) return STATUS_INVALID_PARAMETER;
  wdf::Object* parent = parent_of(SpinLockAttributes, "WdfSpinLockCreate");
  if (!parent) {
    KmdfFramework& fx = KmdfFramework::of(DriverGlobals, "WdfSpinLockCreate");
    parent = fx.driver();
    if (!parent) violation("WdfSpinLockCreate", "no WDFDRIVER yet (WdfDriverCreate has not run)");
  }
  auto& lock = parent->add_child<wdf::SpinLock>(parent->fx(), parent);
  if (const NTSTATUS st = lock.apply(SpinLockAttributes); !NT_SUCCESS(st)) {
    parent->remove_child(lock);
    return st;
  }
  *SpinLock = reinterpret_cast<WDFSPINLOCK>(lock.handle());
  return STATUS_SUCCESS;
}

VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock) {
  auto& lock = as<wdf::SpinLock>(SpinLock, "WdfSpinLockAcquire");
  Platform::current().require_irql_at_most("WdfSpinLockAcquire", lock.level_);
  lock.acquire("WdfSpinLockAcquire");
}

VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock) {
  as<wdf::SpinLock>(SpinLock, "WdfSpinLockRelease").release("WdfSpinLockRelease");
}

NTSTATUS WdfDmaEnablerCreate(WDFDEVICE Device, PWDF_DMA_ENABLER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes,
                             WDFDMAENABLER* DmaEnablerHandle) {
  auto& device = as<wdf::Device>(Device, "WdfDmaEnablerCreate");
  Platform::current().require_irql("WdfDmaEnablerCreate", PASSIVE_LEVEL);
  if (!Config || !DmaEnablerHandle) return STATUS_INVALID_PARAMETER;
  if (Config->Size != sizeof(WDF_DMA_ENABLER_CONFIG)) return STATUS_INFO_LENGTH_MISMATCH;
  if (Config->Profile <= WdfDmaProfileInvalid || Config->Profile >= WdfDmaProfileMaximum || Config->MaximumLength == 0)
    return STATUS_INVALID_PARAMETER;
  wdf::Object* parent = parent_of(Attributes, "WdfDmaEnablerCreate");
  wdf::Object& owner = parent ? *parent : device;
  auto& enabler = owner.add_child<wdf::DmaEnabler>(device.fx(), owner, device, *Config);
  if (const NTSTATUS st = enabler.apply(Attributes); !NT_SUCCESS(st)) {
    owner.remove_child(enabler);
    return st;
  }
  device.dma_enablers_.push_back(&enabler);
  *DmaEnablerHandle = enabler.wdf();
  return STATUS_SUCCESS;
}

NTSTATUS WdfCommonBufferCreate(WDFDMAENABLER DmaEnabler, size_t Length, PWDF_OBJECT_ATTRIBUTES Attributes,
                               WDFCOMMONBUFFER* CommonBuffer) {
  auto& enabler = as<wdf::DmaEnabler>(DmaEnabler, "WdfCommonBufferCreate");
  Platform::current().require_irql("WdfCommonBufferCreate", PASSIVE_LEVEL);
  if (!CommonBuffer || Length == 0) return STATUS_INVALID_PARAMETER;
  auto& fx = enabler.fx();
  const IRQRIG_RESOURCES& res = fx.resources();
  if (fx.common_buffer_taken() || Length > res.CommonBufferLength) return STATUS_INSUFFICIENT_RESOURCES;
  wdf::Object* parent = parent_of(Attributes, "WdfCommonBufferCreate");
  wdf::Object& owner = parent ? *parent : static_cast<wdf::Object&>(enabler);
  auto& buffer = owner.add_child<wdf::CommonBuffer>(fx, owner, res.CommonBuffer, res.CommonBufferLogical, Length,
                                                    fx.common_buffer_taken());
  if (const NTSTATUS st = buffer.apply(Attributes); !NT_SUCCESS(st)) {
    owner.remove_child(buffer);
    fx.common_buffer_taken() = false;
    return st;
  }
  *CommonBuffer = reinterpret_cast<WDFCOMMONBUFFER>(buffer.handle());
  return STATUS_SUCCESS;
}

PVOID WdfCommonBufferGetAlignedVirtualAddress(WDFCOMMONBUFFER CommonBuffer) {
  return as<wdf::CommonBuffer>(CommonBuffer, "WdfCommonBufferGetAlignedVirtualAddress").va_;
}

PHYSICAL_ADDRESS WdfCommonBufferGetAlignedLogicalAddress(WDFCOMMONBUFFER CommonBuffer) {
  return as<wdf::CommonBuffer>(CommonBuffer, "WdfCommonBufferGetAlignedLogicalAddress").logical_;
}

size_t WdfCommonBufferGetLength(WDFCOMMONBUFFER CommonBuffer) {
  return as<wdf::CommonBuffer>(CommonBuffer, "WdfCommonBufferGetLength").length_;
}

}  // extern "C"

