"""The attention entries of the zoo (Swin-T, PVT-Tiny, ViT-S/16, BoT50, CoAtNet-0) beyond the table of
test_zoo_contract.py: ViT's published count leaves out the detection pyramid, and the position tables have
the published sizes. Their blocks are in test_zoo_attention_blocks.py."""

from __future__ import annotations

import torch

from studio.models.backbones.pvt import pvt_tiny
from studio.models.backbones.vit import vit_s16
from studio.models.classify import count_parameters


def test_vit_published_count_excludes_the_pyramid():
    with torch.device("meta"):
        backbone = vit_s16()
    head = count_parameters(backbone.classifier())
    assert backbone.published_parameter_count() + head == 22_050_664


def test_position_embeddings_have_the_published_sizes():
    with torch.device("meta"):
        vit, pvt = vit_s16(), pvt_tiny()
    assert tuple(vit.pos_embed.shape) == (1, 197, 384)  # 14 x 14 patches + the class token
    assert tuple(pvt.pos_embed1.shape) == (1, 56 * 56, 64)
    assert tuple(pvt.pos_embed4.shape) == (1, 7 * 7 + 1, 512)  # PVT adds its class token at stage 4
