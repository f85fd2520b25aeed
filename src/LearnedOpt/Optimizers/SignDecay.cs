namespace LearnedOpt.Optimizers;

/// <summary>Sign-decay schedules of PowerSign and AddSign (Bello et al. 2017); values match <c>enum lopt_sign_decay</c>.</summary>
public enum SignDecay
{
    None = 0,
    Linear = 1,
    Cyclic = 2,
    Restart = 3,
}
