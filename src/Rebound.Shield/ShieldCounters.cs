using System.Buffers.Binary;
using Rebound.Shield.Kernel;

namespace Rebound.Shield;

/// <summary>A snapshot of a shield's counters, summed over CPUs (see <see cref="ShieldCounter"/> for each one's meaning).</summary>
public sealed record ShieldCounters(long Recorded, long Replaced, long NotRecorded, long SourceSet, long Missed, long ApplicationChose, long LinkLocalLeftToKernel)
{
    internal static ShieldCounters Read(BpfMap counters)
    {
        int cpus = BpfObjects.PossibleCpuCount();
        byte[] values = new byte[cpus * 8];
        byte[] key = new byte[4];
        long[] sums = new long[7];
        for (int slot = 0; slot < sums.Length; slot++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(key, slot);
            if (!counters.TryLookup(key, values))
            {
                continue;
            }

            for (int cpu = 0; cpu < cpus; cpu++)
            {
                sums[slot] += BinaryPrimitives.ReadInt64LittleEndian(values.AsSpan(cpu * 8));
            }
        }

        return new ShieldCounters(sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6]);
    }
}
