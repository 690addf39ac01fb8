namespace TrainSage.Training.Schedules;

/// <summary>Linear warmup to the peak learning rate, then cosine decay to a floor (nanoGPT's get_lr).</summary>
public sealed record CosineSchedule(double PeakLr, double MinLr, int WarmupSteps, int DecaySteps)
{
    public double At(int step)
    {
        if (step < WarmupSteps) return PeakLr * (step + 1) / (WarmupSteps + 1);
        if (step >= DecaySteps) return MinLr;
        var ratio = (double)(step - WarmupSteps) / Math.Max(1, DecaySteps - WarmupSteps);
        return MinLr + 0.5 * (1 + Math.Cos(Math.PI * ratio)) * (PeakLr - MinLr);
    }
}
