"""Training-step throughput of the small ConvNet backbones on a CPU.

One Adam step (forward, backward, update) on a batch of 256 random 28x28
grey images, one torch thread, for ``backbone="convnet"`` and
``backbone="convnet2"``; prints images per second and their ratio, and the
same steps with the weights and maps in the default (contiguous, NCHW)
layout against the channels-last layout the backbones use.

    python benchmarks/bench_backbones.py [--size 28] [--batch 256] [--repeats 10]
"""

import argparse
import time

import torch

from skdeepclust.deep.backbones import SmallConvNet

VARIANTS = {
    "convnet": dict(width=32, convs_per_stage=1),
    "convnet2": dict(width=16, convs_per_stage=2),
}


def images_per_second(net, batch, repeats, channels_last=True):
    """Median images/s of an Adam step; ``channels_last=False`` runs NCHW."""
    if not channels_last:
        net.blocks.to(memory_format=torch.contiguous_format)
    optimizer = torch.optim.Adam(net.parameters())

    def forward():
        if channels_last:
            return net(batch)
        return net.pool(net.blocks(batch.contiguous()))

    def step():
        optimizer.zero_grad(set_to_none=True)
        forward().square().mean().backward()
        optimizer.step()

    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    return len(batch) / times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    batch = torch.rand(args.batch, 1, args.size, args.size)
    rates = {}
    for name, kwargs in VARIANTS.items():
        net = SmallConvNet(1, args.size, **kwargs)
        n_params = sum(p.numel() for p in net.parameters())
        rates[name] = images_per_second(net, batch, args.repeats)
        nchw = images_per_second(SmallConvNet(1, args.size, **kwargs), batch, args.repeats,
                                 channels_last=False)
        print(f"{name:<9} {n_params:>9,} parameters  {rates[name]:>7.0f} images/s "
              f"(NCHW layout: {nchw:.0f}, channels-last / NCHW: {rates[name] / nchw:.2f}x)")
    print(f"convnet2 / convnet: {rates['convnet2'] / rates['convnet']:.2f}x")


if __name__ == "__main__":
    main()
