namespace LearnedOpt.Backends;

/// <summary>Backend-owned float32 memory (zeroed on allocation), returned to its backend on dispose.</summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(TensorView view) => View = view;

    public TensorView View { get; private set; }
    public long Length => View.Length;

    public void Dispose()
    {
        if (View.IsNull && View.Length == 0) return;
        Release();
        View = TensorView.None(View.Location);
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}
