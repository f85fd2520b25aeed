using System.Runtime.InteropServices;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Distributed;

namespace LearnedOpt.Cluster;

/// <summary>
/// Group work, results and φ as flat little-endian bytes: Orleans then copies one length-prefixed
/// byte[] per message instead of writing a field header per element.
/// </summary>
public static class WorkCodec
{
    public static byte[] Encode(GroupWork work)
    {
        using var s = new MemoryStream();
        using (var w = new BinaryWriter(s))
        {
            w.Write(work.Iteration);
            w.Write(work.Slots.Length);
            foreach (var slot in work.Slots)
            {
                w.Write(slot.Slot);
                w.Write(slot.Episode.Entry);
                w.Write(slot.Episode.InstanceSeed);
                w.Write(slot.Episode.EpisodeSeed);
                w.Write(slot.Episode.Length);
                Write(w, slot.Current);
                w.Write(slot.History.Length);
                foreach (var h in slot.History)
                {
                    w.Write(h.Iteration);
                    Write(w, h.Truncation);
                }
            }
        }
        return s.ToArray();
    }

    public static GroupWork DecodeWork(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        long iteration = r.ReadInt64();
        var slots = new SlotWork[r.ReadInt32()];
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = r.ReadInt32();
            var episode = new EpisodeSpec(r.ReadInt32(), r.ReadUInt64(), r.ReadUInt64(), r.ReadInt64());
            var current = ReadTruncation(r);
            var history = new TruncationRecord[r.ReadInt32()];
            for (int j = 0; j < history.Length; j++) history[j] = new TruncationRecord(r.ReadInt64(), ReadTruncation(r));
            slots[i] = new SlotWork(slot, episode, history, current);
        }
        return new GroupWork(iteration, slots);
    }

    public static byte[] Encode(PairResult[] results)
    {
        using var s = new MemoryStream();
        using (var w = new BinaryWriter(s))
        {
            w.Write(results.Length);
            foreach (var p in results)
            {
                w.Write(p.Slot);
                w.Write(p.Iteration);
                w.Write(p.Delta);
                w.Write(p.MeanPlus);
                w.Write(p.MeanMinus);
                w.Write((byte)((p.BlewUp ? 1 : 0) | (p.Lost ? 2 : 0)));
                w.Write(p.Replayed);
            }
        }
        return s.ToArray();
    }

    public static PairResult[] DecodeResults(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        var results = new PairResult[r.ReadInt32()];
        for (int i = 0; i < results.Length; i++)
        {
            int slot = r.ReadInt32();
            long iteration = r.ReadInt64();
            double delta = r.ReadDouble(), plus = r.ReadDouble(), minus = r.ReadDouble();
            byte flags = r.ReadByte();
            results[i] = new PairResult(slot, iteration, delta, plus, minus, (flags & 1) != 0, (flags & 2) != 0, r.ReadInt32());
        }
        return results;
    }

    public static byte[] Encode(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static float[] DecodeFloats(byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0) throw new InvalidDataException($"a float vector of {bytes.Length} bytes is not a whole number of floats.");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static void Write(BinaryWriter w, Truncation t)
    {
        w.Write(t.Steps);
        w.Write(t.StartStep);
        w.Write((byte)((t.StartsEpisode ? 1 : 0) | (t.EndsEpisode ? 2 : 0)));
    }

    private static Truncation ReadTruncation(BinaryReader r)
    {
        int steps = r.ReadInt32();
        long start = r.ReadInt64();
        byte flags = r.ReadByte();
        return new Truncation(steps, start, (flags & 1) != 0, (flags & 2) != 0);
    }
}
