using System.Text;
using Rebound.Shield.Bpf;
using Rebound.Interop;

namespace Rebound.Shield.Kernel;

/// <summary>A program the verifier accepted, owned through its file descriptor.</summary>
internal sealed unsafe class BpfProgram : IDisposable
{
    private const int LogSize = 1 << 20;
    private static readonly byte[] License = BpfObjects.NullTerminated("Dual MIT/GPL");

    private BpfProgram(FileDescriptor fd, string name)
    {
        Fd = fd;
        Name = name;
    }

    public FileDescriptor Fd { get; }

    public string Name { get; }

    /// <summary>
    /// Loads <paramref name="program"/>. Loads once without a log (fast); if the kernel refuses, loads again with the
    /// verifier log on, so the exception says exactly which instruction it rejected.
    /// </summary>
    public static BpfProgram Load(BpfProgramType type, BpfAttachType expectedAttachType, IReadOnlyList<BpfInstruction> program, string name)
    {
        byte[] code = BpfAssembler.Encode(program);
        long fd = TryLoad(type, expectedAttachType, code, name, log: null, out Errno errno);
        if (fd >= 0)
        {
            return new BpfProgram(new FileDescriptor((int)fd), name);
        }

        if (errno is Errno.EPERM or Errno.ENOSYS)
        {
            throw new BpfException($"cannot load BPF program {name}", errno);
        }

        byte[] log = new byte[LogSize];
        fd = TryLoad(type, expectedAttachType, code, name, log, out Errno retryErrno);
        if (fd >= 0)
        {
            return new BpfProgram(new FileDescriptor((int)fd), name);
        }

        int end = Array.IndexOf(log, (byte)0);
        string text = Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end);
        throw new BpfException($"the kernel verifier rejected BPF program {name}", retryErrno, text.Length == 0 ? null : text);
    }

    /// <summary>Runs the program once on <paramref name="packet"/> (BPF_PROG_TEST_RUN) and returns its return value.</summary>
    public uint TestRun(ReadOnlySpan<byte> packet)
    {
        fixed (byte* data = packet)
        {
            var attributes = new TestRunAttributes
            {
                ProgramFd = Fd.Value,
                DataIn = (ulong)data,
                DataSizeIn = (uint)packet.Length,
                Repeat = 1,
            };
            if (BpfCalls.Invoke(BpfCommand.ProgramTestRun, ref attributes, out Errno errno) < 0)
            {
                throw new BpfException($"test run of {Name} failed", errno);
            }

            return attributes.ReturnValue;
        }
    }

    public void Dispose() => Fd.Dispose();

    private static long TryLoad(BpfProgramType type, BpfAttachType attachType, byte[] code, string name, byte[]? log, out Errno errno)
    {
        fixed (byte* instructions = code)
        fixed (byte* license = License)
        fixed (byte* logBuffer = log)
        {
            var attributes = new ProgramLoadAttributes
            {
                ProgramType = type,
                InstructionCount = (uint)(code.Length / BpfInstruction.Size),
                Instructions = (ulong)instructions,
                License = (ulong)license,
                ExpectedAttachType = attachType,
            };
            if (log is not null)
            {
                attributes.LogLevel = 1;
                attributes.LogSize = (uint)log.Length;
                attributes.LogBuffer = (ulong)logBuffer;
            }

            BpfObjects.WriteName(attributes.ProgramName, name);
            return BpfCalls.Invoke(BpfCommand.ProgramLoad, ref attributes, out errno);
        }
    }
}
