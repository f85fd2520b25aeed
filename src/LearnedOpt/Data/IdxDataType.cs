namespace LearnedOpt.Data;

/// <summary>Element type codes of the IDX format (the third magic byte).</summary>
public enum IdxDataType : byte
{
    UInt8 = 0x08,
    Int8 = 0x09,
    Int16 = 0x0B,
    Int32 = 0x0C,
    Float32 = 0x0D,
    Float64 = 0x0E,
}

public static class IdxDataTypes
{
    /// <summary>Bytes per element, or 0 for a code that is not an IDX type.</summary>
    public static int SizeOf(IdxDataType type) => type switch
    {
        IdxDataType.UInt8 or IdxDataType.Int8 => 1,
        IdxDataType.Int16 => 2,
        IdxDataType.Int32 or IdxDataType.Float32 => 4,
        IdxDataType.Float64 => 8,
        _ => 0,
    };
}
