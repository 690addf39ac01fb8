using TrainSage.Training.Schedules;

namespace TrainSage.Training.Tests;

public class ScheduleTests
{
    [Fact]
    public void Warmup_then_cosine_to_the_floor()
    {
        var s = new CosineSchedule(PeakLr: 1e-3, MinLr: 1e-4, WarmupSteps: 9, DecaySteps: 109);
        Assert.Equal(1e-4, s.At(0), 12);                 // (0+1)/(9+1) of the peak
        Assert.Equal(9e-4, s.At(8), 12);
        Assert.Equal(1e-3, s.At(9), 12);                  // decay starts at the peak
        Assert.Equal(0.55e-3, s.At(59), 12);              // halfway: the mean of peak and floor
        Assert.Equal(1e-4, s.At(109), 12);
        Assert.Equal(1e-4, s.At(500), 12);
    }
}
