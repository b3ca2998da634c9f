//! Attestation alone, against fakes of the task ledger and the executor keys: which answers the
//! pool and dispatch accept, commit and reveal phases, the verdicts of a decision, and the
//! offchain worker, with the pallet's invariants checked after every step.
#![allow(clippy::unwrap_used)]

use crate::testing::outcome;
use crate::{
	mock::*, Call, Claim, Commitments, Error, Event, FailureReason, PendingOutputs, Revealed,
};
use crate::{
	AbstainReason, Abstentions, AcceptedVersions, Status, TaskJudge, Verdict, EXECUTOR_VERSION,
};
use polkadot_sdk::sp_runtime::{testing::UintAuthorityId, traits::Zero, DispatchResult};

fn hash(bytes: &[u8]) -> [u8; 32] {
	polkadot_sdk::sp_io::hashing::blake2_256(bytes)
}

/// Applies `provider`'s statement `claim` about task `task_id`, signed by `signer`'s key, as a
/// block would, and checks the invariants.
fn state(signer: u64, task_id: u64, provider: u64, claim: Claim, output: &[u8]) -> DispatchResult {
	let result = crate::testing::submit::<Test>(&key(signer), task_id, provider, claim, output);
	check_invariants();
	result
}

fn answer_as(
	signer: u64,
	task_id: u64,
	provider: u64,
	output: &[u8],
	fuel_used: u64,
) -> DispatchResult {
	let (claim, sealed) = crate::testing::sealed_answer::<Test>(
		task_id,
		&provider,
		Status::Success,
		fuel_used,
		output,
		[7; 32],
	);
	state(signer, task_id, provider, claim, &sealed)
}

fn answer(task_id: u64, provider: u64, output: &[u8], fuel_used: u64) -> DispatchResult {
	answer_as(provider, task_id, provider, output, fuel_used)
}

fn commit(task_id: u64, provider: u64, revealed: &Revealed, salt: [u8; 32]) -> DispatchResult {
	let digest = Attestation::digest_of(task_id).unwrap_or_default();
	let commitment = Attestation::commitment(&digest, task_id, &provider, revealed, &salt);
	state(provider, task_id, provider, Claim::Commit(commitment), &[])
}

fn reveal(
	task_id: u64,
	provider: u64,
	revealed: &Revealed,
	output: &[u8],
	salt: [u8; 32],
) -> DispatchResult {
	let claim = Claim::Reveal { revealed: revealed.clone(), salt };
	state(provider, task_id, provider, claim, output)
}

/// Providers 1, 2, 3 on task 0 commit to `outputs[i]` (`None`: silent), wait for the commit
/// window to close, and reveal them.
fn replicated(outputs: [Option<&[u8]>; 3]) {
	assign(0, &[1, 2, 3]);
	for (i, out) in outputs.iter().enumerate() {
		if let Some(out) = out {
			assert_eq!(commit(0, i as u64 + 1, &outcome(out, 500), [i as u8; 32]), Ok(()));
		}
	}
	for _ in 0..=COMMIT_WINDOW {
		next_block();
	}
	for (i, out) in outputs.iter().enumerate() {
		if let Some(out) = out {
			assert_eq!(reveal(0, i as u64 + 1, &outcome(out, 500), out, [i as u8; 32]), Ok(()));
		}
	}
}

/// The deadline passed: the judge decides task 0 of providers 1, 2, 3 from what it has.
fn conclude() -> crate::Decision<u64> {
	let answered = <Attestation as TaskJudge<u64>>::answered(0);
	let (decision, weight) = <Attestation as TaskJudge<u64>>::decide(0, &[1, 2, 3]);
	assert_eq!(weight.is_zero(), !answered, "an answered task's decision is charged");
	check_invariants();
	decision
}

#[test]
fn answers_are_checked_before_inclusion() {
	test(|| {
		assign(0, &[1]);
		bind(2, key(2));
		use Error as E;
		assert_eq!(answer(0, 2, b"x", 1), Err(E::<Test>::NotAssigned.into()));
		assert_eq!(answer_as(2, 0, 1, b"x", 1), Err(E::<Test>::BadSignature.into()));
		assert_eq!(answer(0, 1, b"x", FUEL + 1), Err(E::<Test>::FuelAboveLimit.into()));
		assert_eq!(answer(7, 1, b"x", 1), Err(E::<Test>::TaskNotOpen.into()));
		assert_eq!(commit(0, 1, &outcome(b"x", 1), [0; 32]), Err(E::<Test>::UseAnswer.into()));
		let digest = Attestation::digest_of(0).unwrap();
		assert_eq!(answer(0, 1, b"x", 1), Ok(()));
		let (provider, held, sealed) = held(0).expect("the ledger holds the answer");
		System::assert_has_event(
			Event::Answered { task_id: 0, provider: 1, commitment: held.commitment, fuel_used: 1 }
				.into(),
		);
		assert_eq!(settled(0), None, "a lone answer waits for its window");
		assert_eq!((provider, held.fuel_used, held.sealed_hash), (1, 1, hash(&sealed)));
		// The requester's secret opens the box: the output, and the salt of the commitment.
		let opened = bourse_primitives::reply::open(
			&crate::testing::REPLY_SECRET,
			&digest,
			&sealed,
			MAX_OUTPUT as usize,
		)
		.unwrap();
		assert_eq!(opened.output, b"x".to_vec());
		let commitment = bourse_primitives::reply::answer_commitment(
			&digest,
			0,
			&1u64,
			Status::Success,
			1,
			EXECUTOR_VERSION,
			&opened.salt,
			&hash(b"x"),
			&held.proof,
		);
		assert_eq!(commitment, held.commitment);
		assert_eq!(answer(0, 1, b"x", 1), Err(E::<Test>::TaskNotOpen.into()), "a second answer");
	});
}

/// Dispatch trusts `authorize` with the signature: only the `Authorized` origin, which only
/// `AuthorizeCall` gives after `authorize` accepted the call, reaches an answer. Signed, unsigned
/// and root callers are refused whatever they carry.
#[test]
fn only_authorized_calls_dispatch() {
	use polkadot_sdk::{
		frame_system::RawOrigin,
		sp_runtime::{traits::Dispatchable, RuntimeAppPublic},
	};
	test(|| {
		assign(0, &[1]);
		assign(1, &[1, 2, 3]);
		let forged = || UintAuthorityId(999).sign(&b"anything".to_vec()).unwrap();
		let revealed = outcome(b"x", 1);
		let calls = [
			crate::Call::<Test>::answer {
				task_id: 0,
				provider: 1,
				answer: crate::SealedAnswer {
					status: Status::Success,
					fuel_used: 1,
					executor_version: revealed.executor_version,
					commitment: [0; 32],
					proof: [0; 32],
					max_output: MAX_OUTPUT,
					sealed_hash: hash(b"x"),
				},
				sealed: b"x".to_vec().try_into().unwrap(),
				signature: forged(),
			},
			crate::Call::commit {
				task_id: 1,
				provider: 1,
				commitment: [0; 32],
				signature: forged(),
			},
			crate::Call::reveal {
				task_id: 1,
				provider: 1,
				revealed,
				output: b"x".to_vec().try_into().unwrap(),
				salt: [0; 32],
				signature: forged(),
			},
		];
		for call in calls {
			for origin in [RawOrigin::Signed(1), RawOrigin::None, RawOrigin::Root] {
				let result = RuntimeCall::Attestation(call.clone()).dispatch(origin.clone().into());
				assert_eq!(
					result.map_err(|e| e.error),
					Err(polkadot_sdk::sp_runtime::DispatchError::BadOrigin),
					"{origin:?}"
				);
			}
		}
		assert!(settled(0).is_none() && settled(1).is_none());
		check_invariants();
	});
}

#[test]
fn answers_need_the_bound_key_and_come_by_the_deadline() {
	test(|| {
		assign(0, &[1]);
		assign(1, &[2]);
		assign(2, &[3]);
		bind(2, UintAuthorityId(7));
		assert_eq!(answer(1, 2, b"x", 1), Err(Error::<Test>::BadSignature.into()), "rotated");
		unbind(2);
		assert_eq!(answer(1, 2, b"x", 1), Err(Error::<Test>::NotAssigned.into()), "no key");
		while System::block_number() < 1 + TIMEOUT {
			next_block();
		}
		assert_eq!(answer(0, 1, b"x", 1), Ok(()), "at the deadline");
		next_block();
		assert_eq!(answer(2, 3, b"x", 1), Err(Error::<Test>::DeadlinePassed.into()));
	});
}

#[test]
fn reveals_are_checked_against_commitments_and_phases() {
	test(|| {
		assign(0, &[1, 2, 3]);
		let good = outcome(b"good", 500);
		assert_eq!(commit(0, 1, &good, [0; 32]), Ok(()));
		use Error as E;
		assert_eq!(commit(0, 1, &good, [0; 32]), Err(E::<Test>::AlreadyAnswered.into()));
		assert_eq!(reveal(0, 1, &good, b"good", [0; 32]), Err(E::<Test>::RevealsNotOpen.into()));
		assert_eq!(reveal(0, 2, &good, b"good", [1; 32]), Err(E::<Test>::NoCommitment.into()));
		assert_eq!(answer(0, 1, b"good", 500), Err(E::<Test>::UseCommitReveal.into()));
		assert_eq!(commit(0, 2, &good, [1; 32]), Ok(()));
		assert_eq!(commit(0, 3, &good, [2; 32]), Ok(()));
		// Everyone committed: reveals are open and commits closed.
		assert_eq!(
			reveal(0, 2, &good, b"good", [9; 32]),
			Err(E::<Test>::CommitmentMismatch.into()),
			"wrong salt"
		);
		assert_eq!(
			reveal(0, 2, &outcome(b"bad", 500), b"bad", [1; 32]),
			Err(E::<Test>::CommitmentMismatch.into())
		);
		assert_eq!(
			reveal(0, 1, &good, &[], [0; 32]),
			Err(E::<Test>::OutputHashMismatch.into()),
			"every reveal carries its output"
		);
		assert_eq!(
			reveal(0, 1, &good, b"gooD", [0; 32]),
			Err(E::<Test>::OutputHashMismatch.into())
		);
		assert_eq!(reveal(0, 2, &good, b"good", [1; 32]), Ok(()));
		assert_eq!(reveal(0, 3, &good, b"good", [2; 32]), Ok(()));
		assert_eq!(PendingOutputs::<Test>::iter_prefix(0).count(), 1, "stored once");
		assert!(settled(0).is_none(), "one reveal is missing");
		assert_eq!(reveal(0, 1, &good, b"good", [0; 32]), Ok(()));
		let decision = settled(0).expect("the last reveal settles the task");
		assert!(decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::Agreed)));
		assert_eq!(decision.result.unwrap().fuel_used, 500);
		assert_eq!(PendingOutputs::<Test>::iter().count(), 0, "forgotten");
	});
}

#[test]
fn commits_close_and_reveals_open_when_the_commit_window_passes() {
	test(|| {
		assign(0, &[1, 2, 3]);
		let good = outcome(b"good", 500);
		assert_eq!(commit(0, 1, &good, [0; 32]), Ok(()));
		for _ in 0..=COMMIT_WINDOW {
			next_block();
		}
		assert_eq!(commit(0, 2, &good, [1; 32]), Err(Error::<Test>::CommitsClosed.into()));
		assert_eq!(
			abstain(0, 2, AbstainReason::Time),
			Err(Error::<Test>::CommitsClosed.into()),
			"nobody abstains once reveals may be seen"
		);
		assert_eq!(reveal(0, 1, &good, b"good", [0; 32]), Ok(()));
		// Its only committer revealed and nobody else can commit: decided at once, without a
		// quorum (one of three).
		let decision = settled(0).expect("settled early");
		assert_eq!(decision.result, Err(FailureReason::NoConsensus));
		use Verdict::NoShow;
		assert_eq!(decision.verdicts, vec![(1, None), (2, Some(NoShow)), (3, Some(NoShow))]);
	});
}

#[test]
fn a_liar_is_out_voted() {
	test(|| {
		replicated([Some(b"good"), Some(b"good"), Some(b"lie")]);
		let decision = settled(0).expect("all revealed");
		use Verdict::*;
		assert_eq!(
			decision.verdicts,
			vec![(1, Some(Agreed)), (2, Some(Agreed)), (3, Some(OutVoted))]
		);
		assert_eq!(decision.result.unwrap().output, b"good".to_vec());
		System::assert_has_event(
			Event::VerdictGiven { task_id: 0, provider: 3, verdict: OutVoted }.into(),
		);
		assert_eq!(PendingOutputs::<Test>::iter().count(), 0, "both outputs forgotten");
	});
}

#[test]
fn a_lying_first_provider_cannot_withhold_the_agreed_output() {
	test(|| {
		replicated([Some(b"lie"), Some(b"good"), Some(b"good")]);
		let decision = settled(0).unwrap();
		assert_eq!(decision.verdicts[0], (1, Some(Verdict::OutVoted)));
		assert_eq!(decision.result.unwrap().output, b"good".to_vec());
	});
}

#[test]
fn a_silent_first_provider_cannot_withhold_the_agreed_output() {
	test(|| {
		replicated([None, Some(b"good"), Some(b"good")]);
		let decision = settled(0).expect("the last committer revealed: settled at once");
		assert_eq!(decision.verdicts[0], (1, Some(Verdict::NoShow)));
		assert_eq!(decision.result.unwrap().output, b"good".to_vec());
	});
}

#[test]
fn without_a_quorum_revealers_get_no_verdict_and_the_silent_a_no_show() {
	test(|| {
		replicated([Some(b"a"), Some(b"b"), None]);
		let decision = settled(0).expect("settled once every committer revealed");
		assert_eq!(decision.result, Err(FailureReason::NoConsensus));
		assert_eq!(decision.verdicts, vec![(1, None), (2, None), (3, Some(Verdict::NoShow))]);
	});
}

#[test]
fn two_of_five_agreeing_do_not_decide() {
	test(|| {
		assign(0, &[1, 2, 3, 4, 5]);
		let x = outcome(b"x", 500);
		for p in [1, 2] {
			assert_eq!(commit(0, p, &x, [p as u8; 32]), Ok(()));
		}
		for _ in 0..=COMMIT_WINDOW {
			next_block();
		}
		for p in [1, 2] {
			assert_eq!(reveal(0, p, &x, b"x", [p as u8; 32]), Ok(()));
		}
		let decision = settled(0).expect("settled: nobody else can commit");
		assert_eq!(decision.result, Err(FailureReason::NoConsensus), "2 of 5 is no quorum");
		assert_eq!(decision.verdicts[..2], [(1, None), (2, None)]);
		assert!(decision.verdicts[2..].iter().all(|(_, v)| *v == Some(Verdict::NoShow)));
	});
}

#[test]
fn a_withheld_reveal_is_out_voted_when_a_quorum_decides() {
	test(|| {
		assign(0, &[1, 2, 3]);
		let (good, lie) = (outcome(b"good", 500), outcome(b"lie", 500));
		assert_eq!(commit(0, 1, &good, [1; 32]), Ok(()));
		assert_eq!(commit(0, 2, &good, [2; 32]), Ok(()));
		assert_eq!(commit(0, 3, &lie, [3; 32]), Ok(()));
		assert_eq!(reveal(0, 1, &good, b"good", [1; 32]), Ok(()));
		assert_eq!(reveal(0, 2, &good, b"good", [2; 32]), Ok(()));
		assert!(settled(0).is_none(), "a committer may still reveal until the deadline");
		let decision = conclude();
		assert_eq!(decision.verdicts[2], (3, Some(Verdict::OutVoted)));
	});
}

#[test]
fn nobody_answering_is_no_answer_and_every_provider_a_no_show() {
	test(|| {
		assign(0, &[1, 2, 3]);
		assert!(!<Attestation as TaskJudge<u64>>::answered(0));
		assert_eq!(commit(0, 2, &outcome(b"x", 1), [0; 32]), Ok(()));
		assert!(<Attestation as TaskJudge<u64>>::answered(0), "a commitment is an answer");
		let decision = conclude();
		assert_eq!(decision.result, Err(FailureReason::NoAnswer));
		assert!(decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::NoShow)));
		assert_eq!(Commitments::<Test>::iter().count(), 0, "forgotten");
	});
}

fn abstain(task_id: u64, provider: u64, reason: AbstainReason) -> DispatchResult {
	state(provider, task_id, provider, Claim::Abstain(reason), &[])
}

/// Outcome `output` as executor `version` produced it.
fn outcome_of(version: u32, output: &[u8]) -> Revealed {
	Revealed { executor_version: version, ..outcome(output, 500) }
}

#[test]
fn an_abstention_settles_a_single_task_without_pay_or_slash() {
	test(|| {
		assign(0, &[1]);
		assert_eq!(abstain(0, 1, AbstainReason::Time), Ok(()));
		System::assert_has_event(
			Event::Abstained { task_id: 0, provider: 1, reason: AbstainReason::Time }.into(),
		);
		let decision = settled(0).expect("the abstention settles the task at once");
		assert_eq!(decision.result, Err(FailureReason::Abstained));
		assert_eq!(decision.verdicts, vec![(1, Some(Verdict::Abstained))]);
		assert_eq!(Abstentions::<Test>::iter().count(), 0, "forgotten");
	});
}

#[test]
fn abstentions_are_exclusive_with_answers_and_commitments() {
	test(|| {
		use Error as E;
		assign(0, &[1]);
		assert_eq!(abstain(0, 1, AbstainReason::Memory), Ok(()));
		assign(1, &[1]);
		assert_eq!(answer(1, 1, b"x", 1), Ok(()));
		assert_eq!(abstain(1, 1, AbstainReason::Time), Err(E::<Test>::TaskNotOpen.into()));
		assign(2, &[1, 2, 3]);
		assert_eq!(commit(2, 1, &outcome(b"x", 1), [0; 32]), Ok(()));
		assert_eq!(abstain(2, 1, AbstainReason::Time), Err(E::<Test>::Committed.into()));
		assert_eq!(abstain(2, 2, AbstainReason::Time), Ok(()));
		assert_eq!(abstain(2, 2, AbstainReason::Time), Err(E::<Test>::AlreadyAnswered.into()));
		assert_eq!(
			commit(2, 2, &outcome(b"x", 1), [0; 32]),
			Err(E::<Test>::AlreadyAnswered.into()),
			"no commitment after an abstention"
		);
		assert_eq!(abstain(2, 4, AbstainReason::Time), Err(E::<Test>::NotAssigned.into()));
		assert_eq!(
			state(2, 2, 3, Claim::Abstain(AbstainReason::Time), &[]),
			Err(E::<Test>::BadSignature.into()),
			"nobody abstains for another provider"
		);
	});
}

#[test]
fn abstentions_open_reveals_early_and_settle_with_the_others() {
	test(|| {
		assign(0, &[1, 2, 3]);
		let x = outcome(b"x", 500);
		assert_eq!(commit(0, 1, &x, [1; 32]), Ok(()));
		assert_eq!(commit(0, 2, &x, [2; 32]), Ok(()));
		assert_eq!(reveal(0, 1, &x, b"x", [1; 32]), Err(Error::<Test>::RevealsNotOpen.into()));
		assert_eq!(abstain(0, 3, AbstainReason::Time), Ok(()));
		assert_eq!(reveal(0, 1, &x, b"x", [1; 32]), Ok(()), "every provider has spoken");
		assert_eq!(reveal(0, 2, &x, b"x", [2; 32]), Ok(()));
		let decision = settled(0).expect("settled by the last reveal, before the deadline");
		assert_eq!(decision.result.unwrap().output, b"x".to_vec());
		assert_eq!(
			decision.verdicts,
			vec![
				(1, Some(Verdict::Agreed)),
				(2, Some(Verdict::Agreed)),
				(3, Some(Verdict::Abstained))
			]
		);
	});
}

#[test]
fn silence_beside_abstentions_is_still_a_no_show() {
	test(|| {
		assign(0, &[1, 2, 3]);
		assert_eq!(abstain(0, 1, AbstainReason::Time), Ok(()));
		assert_eq!(abstain(0, 2, AbstainReason::LocalFailure), Ok(()));
		let decision = conclude();
		assert_eq!(decision.result, Err(FailureReason::Abstained));
		assert_eq!(
			decision.verdicts,
			vec![
				(1, Some(Verdict::Abstained)),
				(2, Some(Verdict::Abstained)),
				(3, Some(Verdict::NoShow))
			]
		);
		assert_eq!(Abstentions::<Test>::iter().count(), 0, "forgotten");
	});
}

#[test]
fn only_root_sets_the_accepted_versions_ascending_and_never_empty() {
	use polkadot_sdk::frame_system::RawOrigin;
	test(|| {
		let set = |origin: RuntimeOrigin, versions: Vec<u32>| {
			Attestation::set_executor_versions(origin, versions.try_into().unwrap())
		};
		assert_eq!(AcceptedVersions::<Test>::get().into_inner(), vec![EXECUTOR_VERSION]);
		assert_eq!(
			set(RawOrigin::Signed(1).into(), vec![EXECUTOR_VERSION + 1]),
			Err(polkadot_sdk::sp_runtime::DispatchError::BadOrigin)
		);
		assert_eq!(set(RawOrigin::Root.into(), vec![]), Err(Error::<Test>::NoVersions.into()));
		assert_eq!(
			set(RawOrigin::Root.into(), vec![3, 3]),
			Err(Error::<Test>::VersionsUnsorted.into())
		);
		assert_eq!(
			set(RawOrigin::Root.into(), vec![4, 3]),
			Err(Error::<Test>::VersionsUnsorted.into())
		);
		let upgrade = vec![EXECUTOR_VERSION, EXECUTOR_VERSION + 1];
		assert_eq!(set(RawOrigin::Root.into(), upgrade.clone()), Ok(()));
		System::assert_has_event(
			Event::ExecutorVersionsSet { versions: upgrade.clone().try_into().unwrap() }.into(),
		);
		assert_eq!(AcceptedVersions::<Test>::get().into_inner(), upgrade);
	});
}

#[test]
fn an_upgraded_chain_accepts_the_built_version_once() {
	use polkadot_sdk::{frame_support::traits::Hooks, frame_system::RawOrigin};
	test(|| {
		AcceptedVersions::<Test>::kill(); // a chain from before accepted versions were kept
		<Attestation as Hooks<u64>>::on_runtime_upgrade();
		assert_eq!(AcceptedVersions::<Test>::get().into_inner(), vec![EXECUTOR_VERSION]);
		let chosen = vec![EXECUTOR_VERSION, EXECUTOR_VERSION + 1];
		Attestation::set_executor_versions(
			RawOrigin::Root.into(),
			chosen.clone().try_into().unwrap(),
		)
		.unwrap();
		<Attestation as Hooks<u64>>::on_runtime_upgrade();
		assert_eq!(AcceptedVersions::<Test>::get().into_inner(), chosen, "root's choice stays");
	});
}

#[test]
fn answers_of_unaccepted_versions_are_refused() {
	test(|| {
		use Error as E;
		let other = EXECUTOR_VERSION + 1;
		assign(0, &[1]);
		let (mut claim, sealed) =
			crate::testing::sealed_answer::<Test>(0, &1, Status::Success, 1, b"x", [1; 32]);
		if let Claim::Answer(answer) = &mut claim {
			answer.executor_version = other;
		}
		assert_eq!(state(1, 0, 1, claim, &sealed), Err(E::<Test>::UnacceptedVersion.into()));
		assign(1, &[1, 2, 3]);
		let (a, b) = (outcome_of(other, b"x"), outcome(b"x", 500));
		assert_eq!(commit(1, 1, &a, [1; 32]), Ok(()), "a commitment hides its version");
		assert_eq!(commit(1, 2, &b, [2; 32]), Ok(()));
		assert_eq!(commit(1, 3, &b, [3; 32]), Ok(()));
		assert_eq!(reveal(1, 1, &a, b"x", [1; 32]), Err(E::<Test>::UnacceptedVersion.into()));
	});
}

/// A signed answer for task 0 of the content the chain holds now, as its call.
fn signed_answer(output: &[u8]) -> crate::Call<Test> {
	let (claim, sealed) =
		crate::testing::sealed_answer::<Test>(0, &1, Status::Success, 10, output, [1; 32]);
	let statement = crate::Statement { task_id: 0, provider: 1, claim };
	let digest = Attestation::digest_of(0).unwrap_or_default();
	Attestation::signed_call(&digest, statement, sealed, &key(1)).unwrap()
}

#[test]
fn an_answer_for_one_task_is_refused_for_another_task_with_the_same_id() {
	test(|| {
		assign(0, &[1]);
		let call = signed_answer(b"out");
		// A sibling fork (or a reorg) made task 0 another task, drawn onto the same provider.
		swap_content(0);
		assert_eq!(crate::testing::apply::<Test>(call), Err(Error::<Test>::BadSignature.into()));
		check_invariants();
		// Signed for the task it now is, the same answer counts.
		assert_eq!(crate::testing::apply::<Test>(signed_answer(b"out")), Ok(()));
		check_invariants();
	});
}

/// Provider 1's answers to `tasks` (output "out", 10 fuel each), as entries of one
/// `answer_many`.
fn bundle(tasks: &[u64]) -> Vec<crate::BundledAnswer<Test>> {
	tasks
		.iter()
		.map(|&t| crate::testing::bundled_answer::<Test>(t, &1, b"out", 10, [t as u8; 32]))
		.collect()
}

/// `entries` as provider 1's `answer_many`, signed by `signer`'s key.
fn answers_call(signer: u64, entries: Vec<crate::BundledAnswer<Test>>) -> crate::Call<Test> {
	let payload = Attestation::answers_payload(&1, &entries);
	let signature = polkadot_sdk::sp_runtime::RuntimeAppPublic::sign(&key(signer), &payload)
		.expect("test keys sign");
	crate::Call::answer_many { provider: 1, answers: entries.try_into().unwrap(), signature }
}

/// Runs `call`'s `authorize` as the pool (`External`) or a block (`InBlock`) does.
fn authorize_as(
	call: &crate::Call<Test>,
	source: polkadot_sdk::sp_runtime::transaction_validity::TransactionSource,
) -> polkadot_sdk::sp_runtime::transaction_validity::TransactionValidityWithRefund {
	use polkadot_sdk::frame_support::traits::Authorize;
	RuntimeCall::from(call.clone()).authorize(source).expect("an authorized call")
}

#[test]
fn answers_in_bulk_are_held_each_under_one_signature() {
	test(|| {
		for t in 0..4 {
			assign(t, &[1]);
		}
		let entries = bundle(&[0, 1, 2, 3]);
		let boxes: Vec<Vec<u8>> = entries.iter().map(|e| e.sealed.to_vec()).collect();
		assert_eq!(crate::testing::apply::<Test>(answers_call(1, entries)), Ok(()));
		check_invariants();
		for t in 0..4u64 {
			let (provider, answer, sealed) = held(t).expect("each answer is held");
			assert_eq!((provider, answer.fuel_used), (1, 10));
			assert_eq!(sealed, boxes[t as usize], "its own box");
			System::assert_has_event(
				Event::Answered {
					task_id: t,
					provider: 1,
					commitment: answer.commitment,
					fuel_used: 10,
				}
				.into(),
			);
		}
		// Answered: the same bundle again is stale, whole.
		let again = answers_call(1, bundle(&[0]));
		assert_eq!(crate::testing::apply::<Test>(again), Err(Error::<Test>::TaskNotOpen.into()));
	});
}

#[test]
fn the_pool_refuses_a_bundle_unless_every_answer_is_valid() {
	use polkadot_sdk::sp_runtime::transaction_validity::TransactionSource::External;
	test(|| {
		for t in 0..3 {
			assign(t, &[1]);
		}
		assign(3, &[2]);
		let refused = |entries, signer| {
			let result = crate::testing::apply::<Test>(answers_call(signer, entries));
			check_invariants();
			assert!((0..3).all(|t| held(t).is_none()), "nothing held");
			result
		};
		use Error as E;
		assert_eq!(refused(vec![], 1), Err(E::<Test>::NoAnswers.into()));
		assert_eq!(refused(bundle(&[0, 1, 0]), 1), Err(E::<Test>::DuplicateAnswer.into()));
		assert_eq!(refused(bundle(&[0, 3]), 1), Err(E::<Test>::NotAssigned.into()));
		assert_eq!(refused(bundle(&[0, 9]), 1), Err(E::<Test>::TaskNotOpen.into()));
		let mut heavy = bundle(&[0, 1]);
		heavy[1].answer.fuel_used = FUEL + 1;
		assert_eq!(refused(heavy, 1), Err(E::<Test>::FuelAboveLimit.into()));
		let mut swapped = bundle(&[0, 1]);
		swapped[1].sealed = swapped[0].sealed.clone();
		assert_eq!(refused(swapped, 1), Err(E::<Test>::OutputHashMismatch.into()));
		bind(2, key(2));
		assert_eq!(refused(bundle(&[0, 1]), 2), Err(E::<Test>::BadSignature.into()));
		// The signature covers every entry: none can be changed, added or taken away.
		let entries = bundle(&[0, 1, 2]);
		let Call::answer_many { signature, .. } = answers_call(1, entries.clone()) else {
			unreachable!()
		};
		let with = |answers: Vec<crate::BundledAnswer<Test>>| crate::Call::<Test>::answer_many {
			provider: 1,
			answers: answers.try_into().unwrap(),
			signature: signature.clone(),
		};
		assert_eq!(
			crate::testing::apply::<Test>(with(entries[..2].to_vec())),
			Err(E::<Test>::BadSignature.into()),
			"a subset"
		);
		let mut cheaper = entries.clone();
		cheaper[2].answer.fuel_used = 1;
		assert_eq!(
			crate::testing::apply::<Test>(with(cheaper)),
			Err(E::<Test>::BadSignature.into())
		);
		// One answer names another assignment of its task (a sibling fork's).
		let mut forked = entries.clone();
		forked[1].digest = [3; 32];
		assert_eq!(refused(forked, 1), Err(E::<Test>::DigestMismatch.into()));
		// A lone answer's signature is no bundle's, and a bundle's is no lone answer's.
		let Call::answer { signature: lone, .. } = signed_answer(b"out") else { unreachable!() };
		let one = bundle(&[0]);
		let call = crate::Call::<Test>::answer_many {
			provider: 1,
			answers: one.clone().try_into().unwrap(),
			signature: lone,
		};
		assert_eq!(crate::testing::apply::<Test>(call), Err(E::<Test>::BadSignature.into()));
		let Call::answer_many { signature: many, .. } = answers_call(1, one.clone()) else {
			unreachable!()
		};
		let lone_call = crate::Call::<Test>::answer {
			task_id: 0,
			provider: 1,
			answer: one[0].answer.clone(),
			sealed: one[0].sealed.clone(),
			signature: many,
		};
		assert_eq!(crate::testing::apply::<Test>(lone_call), Err(E::<Test>::BadSignature.into()));
		// The valid bundle provides each task's answer tag, as a lone answer does, and ranks
		// as its answers together; the most answers rank with a commit, never above.
		let (valid, _) = authorize_as(&answers_call(1, entries), External).unwrap();
		let (lone, _) = authorize_as(&signed_answer(b"out"), External).unwrap();
		assert_eq!(valid.provides.len(), 3);
		assert!(valid.provides.contains(&lone.provides[0]), "shares the lone answer's tag");
		assert_eq!(valid.priority, 3 * lone.priority);
		let most = <<Test as crate::Config>::MaxAnswersPerCall as polkadot_sdk::frame_support::traits::Get<u32>>::get();
		assert!(Attestation::answer_priority(most) <= u64::MAX / 2);
		// A forgery is refused before the state is read: a bad signature over a bad box is a
		// bad proof, not a mismatched box.
		let mut forged = bundle(&[0, 1]);
		forged[0].sealed = forged[1].sealed.clone();
		let Call::answer_many { signature: theirs, .. } = answers_call(2, forged.clone()) else {
			unreachable!()
		};
		let forged = crate::Call::<Test>::answer_many {
			provider: 1,
			answers: forged.try_into().unwrap(),
			signature: theirs,
		};
		assert_eq!(
			authorize_as(&forged, External).map(|_| ()),
			Err(polkadot_sdk::sp_runtime::transaction_validity::InvalidTransaction::BadProof.into())
		);
		assert!((0..3).all(|t| held(t).is_none()), "authorize holds nothing");
	});
}

/// A block is as strict as the pool: a provider that builds its own block cannot pad it,
/// feeless, with answers that never count beside one that does.
#[test]
fn a_block_refuses_a_bundle_with_an_answer_that_does_not_count() {
	use polkadot_sdk::sp_runtime::transaction_validity::TransactionSource::InBlock;
	test(|| {
		for t in 0..3 {
			assign(t, &[1]);
		}
		assign(3, &[2]);
		// Unknown task, another's task, an answer over the fuel limit, another assignment.
		let mut heavy = bundle(&[0, 1]);
		heavy[1].answer.fuel_used = FUEL + 1;
		let mut forked = bundle(&[0, 1]);
		forked[1].digest = [3; 32];
		for padded in [bundle(&[0, 99]), bundle(&[0, 3]), heavy, forked] {
			assert!(authorize_as(&answers_call(1, padded), InBlock).is_err());
		}
		// Task 1 answered already, even with the very same answer.
		assert_eq!(crate::testing::apply::<Test>(answers_call(1, bundle(&[1]))), Ok(()));
		assert!(authorize_as(&answers_call(1, bundle(&[0, 1])), InBlock).is_err());
		assert!(authorize_as(&answers_call(1, bundle(&[0, 2])), InBlock).is_ok());
		check_invariants();
	});
}

/// Dispatch checks each answer again and skips one that no longer counts, holding the others
/// (`authorize` runs just before it in a block, so this is a safeguard: a bundle never fails
/// half way).
#[test]
fn dispatch_skips_an_answer_that_no_longer_counts_and_holds_the_others() {
	use polkadot_sdk::frame_support::dispatch::GetDispatchInfo;
	use polkadot_sdk::sp_runtime::traits::Dispatchable;
	test(|| {
		for t in 0..3 {
			assign(t, &[1]);
		}
		let call = answers_call(1, bundle(&[0, 1, 2]));
		assert_eq!(answer(1, 1, b"alone", 5), Ok(()));
		let declared = call.get_dispatch_info().call_weight;
		let post = RuntimeCall::from(call)
			.dispatch(polkadot_sdk::frame_system::RawOrigin::Authorized.into())
			.unwrap();
		check_invariants();
		assert!(held(0).is_some() && held(2).is_some());
		assert_eq!(held(1).unwrap().1.fuel_used, 5, "the answer that counted first stands");
		System::assert_has_event(
			Event::AnswerSkipped {
				task_id: 1,
				provider: 1,
				error: Error::<Test>::TaskNotOpen.into(),
			}
			.into(),
		);
		assert!(post.actual_weight.is_some_and(|w| w.all_lte(declared)));
	});
}

#[test]
fn past_the_deadline_a_block_refuses_a_bundle_whose_answers_all_expired() {
	use polkadot_sdk::sp_runtime::transaction_validity::TransactionSource;
	test(|| {
		for t in 0..2 {
			assign(t, &[1]);
		}
		let call = answers_call(1, bundle(&[0, 1]));
		for _ in 0..=TIMEOUT {
			next_block();
		}
		assert!(authorize_as(&call, TransactionSource::InBlock).is_err());
		assert_eq!(crate::testing::apply::<Test>(call), Err(Error::<Test>::DeadlinePassed.into()));
	});
}

#[test]
fn a_commitment_to_one_task_cannot_be_revealed_for_another_with_the_same_id() {
	test(|| {
		assign(0, &[1, 2, 3]);
		let good = outcome(b"good", 10);
		for p in [1, 2, 3] {
			assert_eq!(commit(0, p, &good, [p as u8; 32]), Ok(()));
		}
		swap_content(0);
		assert_eq!(
			reveal(0, 1, &good, b"good", [1; 32]),
			Err(Error::<Test>::CommitmentMismatch.into())
		);
	});
}
#[test]
fn outcomes_of_different_versions_never_disagree() {
	use polkadot_sdk::frame_system::RawOrigin;
	test(|| {
		let (old, new) = (EXECUTOR_VERSION, EXECUTOR_VERSION + 1);
		Attestation::set_executor_versions(
			RawOrigin::Root.into(),
			vec![old, new].try_into().unwrap(),
		)
		.unwrap();
		// A rolling upgrade: two nodes run the old executor, one the new (other fuel).
		let outcomes = [outcome_of(old, b"x"), outcome_of(old, b"x"), outcome_of(new, b"x")];
		let outcomes = [
			outcomes[0].clone(),
			outcomes[1].clone(),
			Revealed { fuel_used: 501, ..outcomes[2].clone() },
		];
		assign(0, &[1, 2, 3]);
		for (i, o) in outcomes.iter().enumerate() {
			assert_eq!(commit(0, i as u64 + 1, o, [i as u8; 32]), Ok(()));
		}
		for (i, o) in outcomes.iter().enumerate() {
			assert_eq!(reveal(0, i as u64 + 1, o, b"x", [i as u8; 32]), Ok(()));
		}
		let decision = settled(0).unwrap();
		assert_eq!(decision.result.unwrap().fuel_used, 500);
		assert_eq!(
			decision.verdicts,
			vec![(1, Some(Verdict::Agreed)), (2, Some(Verdict::Agreed)), (3, None)],
			"the new version's outcome is not out-voted by the old one's"
		);
	});
}

/// The opening of `who`'s run of a task with `output` (the tests' fingerprint: the output's
/// hash) under `salt`.
fn opening(status: Status, output: &[u8], fuel_used: u64, salt: [u8; 32]) -> crate::Opening {
	crate::Opening {
		status,
		fuel_used,
		executor_version: EXECUTOR_VERSION,
		output_digest: hash(output),
		fingerprint: hash(output),
		salt,
	}
}

/// `who` opens `opening` in the audit of task 0.
fn open(who: u64, opening: &crate::Opening) -> DispatchResult {
	state(who, 0, who, Claim::Open(opening.clone()), &[])
}

/// The auditor 2 commits blind to `opening` in the audit of task 0.
fn audit_commit(opening: &crate::Opening) -> DispatchResult {
	let digest = Attestation::digest_of(0).unwrap();
	state(2, 0, 2, Claim::Commit(opening.commitment(&digest, 0, &2u64)), &[])
}

/// Task 0 answered alone by provider 1 (`output`, 500 fuel, `status`), under audit by 2.
fn audited_answer(status: Status, output: &[u8]) -> crate::Opening {
	assign(0, &[1]);
	let (claim, sealed) =
		crate::testing::sealed_answer::<Test>(0, &1, status, 500, output, [7; 32]);
	assert_eq!(state(1, 0, 1, claim, &sealed), Ok(()));
	audit(0, 2);
	opening(status, output, 500, [7; 32])
}

#[test]
fn in_an_audit_the_auditor_commits_blind_then_both_open_and_agree() {
	new_test_ext().execute_with(|| {
		let provider = audited_answer(Status::Success, b"out");
		let auditor = opening(Status::Success, b"out", 500, [9; 32]);
		assert_eq!(open(1, &provider), Err(Error::<Test>::RevealsNotOpen.into()), "not before");
		let digest = Attestation::digest_of(0).unwrap();
		assert_eq!(
			state(1, 0, 1, Claim::Commit(provider.commitment(&digest, 0, &1u64)), &[]),
			Err(Error::<Test>::NotAuditor.into()),
			"the provider committed with its answer"
		);
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(audit_commit(&auditor), Err(Error::<Test>::AlreadyAnswered.into()));
		let revealed = outcome(b"out", 500);
		assert_eq!(reveal(0, 2, &revealed, b"out", [9; 32]), Err(Error::<Test>::UseOpen.into()));
		// An opening must be what was committed to, and the provider's what it answered.
		let other_salt = crate::Opening { salt: [8; 32], ..auditor.clone() };
		assert_eq!(open(2, &other_salt), Err(Error::<Test>::CommitmentMismatch.into()));
		let more_fuel = crate::Opening { fuel_used: 501, ..provider.clone() };
		assert_eq!(open(1, &more_fuel), Err(Error::<Test>::CommitmentMismatch.into()));
		assert_eq!(open(3, &provider), Err(Error::<Test>::NotAssigned.into()));
		assert_eq!(open(1, &provider), Ok(()));
		System::assert_has_event(
			Event::Opened {
				task_id: 0,
				who: 1,
				status: Status::Success,
				fuel_used: 500,
				output_digest: hash(b"out"),
			}
			.into(),
		);
		assert_eq!(open(1, &provider), Err(Error::<Test>::AlreadyAnswered.into()));
		assert_eq!(audit_found(0), None, "the auditor has not opened");
		assert_eq!(open(2, &auditor), Ok(()));
		assert_eq!(audit_found(0), Some(crate::AuditFinding::Agreed { fuel: 500 }));
		assert!(crate::Openings::<Test>::iter().next().is_none(), "forgotten");
		assert!(Commitments::<Test>::iter().next().is_none());
	});
}

#[test]
fn an_auditor_that_ran_something_else_or_copied_a_trap_disagrees() {
	new_test_ext().execute_with(|| {
		let provider = audited_answer(Status::Success, b"junk");
		let auditor = opening(Status::Success, b"out", 500, [9; 32]);
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(open(1, &provider), Ok(()));
		assert_eq!(open(2, &auditor), Ok(()));
		assert_eq!(audit_found(0), Some(crate::AuditFinding::Disagreed { fuel: 500 }));
	});
	new_test_ext().execute_with(|| {
		// The same output, another fingerprint: a run that did not happen.
		let provider = audited_answer(Status::Success, b"out");
		let auditor = crate::Opening {
			fingerprint: [1; 32],
			..opening(Status::Success, b"out", 500, [9; 32])
		};
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(open(1, &provider), Ok(()));
		assert_eq!(open(2, &auditor), Ok(()));
		assert_eq!(audit_found(0), Some(crate::AuditFinding::Disagreed { fuel: 500 }));
	});
	new_test_ext().execute_with(|| {
		// A trap copied from the public answer (status, fuel, an empty output) without running:
		// its memory differs.
		let provider = audited_answer(Status::Trap, b"");
		let auditor =
			crate::Opening { fingerprint: [1; 32], ..opening(Status::Trap, b"", 500, [9; 32]) };
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(open(1, &provider), Ok(()));
		assert_eq!(open(2, &auditor), Ok(()));
		assert_eq!(audit_found(0), Some(crate::AuditFinding::Disagreed { fuel: 500 }));
	});
}

#[test]
fn at_its_deadline_an_audit_finds_who_stayed_silent_and_an_abstaining_auditor_ends_it_at_once() {
	use crate::AuditFinding::*;
	let judge = || {
		let audit = crate::mock::FakeTasks::audit_round(0);
		let (found, _) = <Attestation as TaskJudge<u64>>::judge_audit(0, &audit);
		check_invariants();
		found
	};
	let auditor = opening(Status::Success, b"out", 500, [9; 32]);
	new_test_ext().execute_with(|| {
		audited_answer(Status::Success, b"out");
		assert_eq!(judge(), AuditorSilent);
	});
	new_test_ext().execute_with(|| {
		audited_answer(Status::Success, b"out");
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(judge(), BothWithheld);
	});
	new_test_ext().execute_with(|| {
		audited_answer(Status::Success, b"out");
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(open(2, &auditor), Ok(()));
		assert_eq!(judge(), ProviderWithheld { fuel: 500 });
	});
	new_test_ext().execute_with(|| {
		let provider = audited_answer(Status::Success, b"out");
		assert_eq!(audit_commit(&auditor), Ok(()));
		assert_eq!(open(1, &provider), Ok(()));
		assert_eq!(judge(), AuditorWithheld);
	});
	new_test_ext().execute_with(|| {
		audited_answer(Status::Success, b"out");
		assert_eq!(abstain(0, 1, AbstainReason::Time), Err(Error::<Test>::NotAuditor.into()));
		assert_eq!(abstain(0, 2, AbstainReason::Time), Ok(()));
		assert_eq!(audit_found(0), Some(AuditorAbstained));
	});
}

/// The offchain worker with a stand-in sandbox: runs echo their input backwards, finishing at
/// once, hanging until released, failing once, or reporting another executor version.
mod offchain_worker {
	use super::*;
	use bourse_primitives::{
		sandbox::{RunId, RunState, Submitted, WorkloadRunner},
		ExecutionLimits, Outcome,
	};
	use codec::{Decode, Encode};
	use polkadot_sdk::{
		frame_support::traits::Hooks,
		sp_core::offchain::{
			testing::{OffchainState, PoolState, TestOffchainExt, TestTransactionPoolExt},
			OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
		},
	};
	use std::{
		collections::HashMap,
		sync::{
			atomic::{AtomicBool, AtomicU32, Ordering},
			Arc, Mutex,
		},
	};

	/// The public key of an encryption key's secret.
	fn member_key_of(secret: &[u8; 32]) -> [u8; 32] {
		bourse_primitives::reply::public_key(secret).unwrap()
	}

	/// What the stand-in's runs do.
	#[derive(Clone, Copy, PartialEq)]
	enum Behaviour {
		Instant,
		Hang,
		FailOnce,
		Version(u32),
	}

	/// The stand-in sandbox and what it saw.
	struct Stand {
		behaviour: Mutex<Behaviour>,
		/// The registry: each run's outcome and whether it is still running.
		runs: Mutex<HashMap<RunId, (Outcome, bool)>>,
		/// Runs it abstained from at once (a confidential run whose seal did not open).
		abstained: Mutex<HashMap<RunId, AbstainReason>>,
		/// The plaintext inputs of the confidential runs it ran.
		plaintexts: Mutex<Vec<Vec<u8>>>,
		started: AtomicU32,
		cancelled: AtomicU32,
		failed: AtomicBool,
		offered: AtomicU32,
	}

	impl Stand {
		fn behave(&self, behaviour: Behaviour) {
			*self.behaviour.lock().unwrap() = behaviour;
		}
		/// Every hanging run ends.
		fn release(&self) {
			self.runs.lock().unwrap().values_mut().for_each(|(_, running)| *running = false);
		}
		/// The node restarts: its registry is gone.
		fn restart(&self) {
			self.runs.lock().unwrap().clear();
		}
		fn started(&self) -> u32 {
			self.started.load(Ordering::SeqCst)
		}
	}

	impl WorkloadRunner for Stand {
		fn submit(
			&self,
			run: RunId,
			_code_hash: [u8; 32],
			_code: &[u8],
			input: &[u8],
			limits: ExecutionLimits,
			_seed: [u8; 32],
		) -> Submitted {
			let mut runs = self.runs.lock().unwrap();
			if runs.contains_key(&run) {
				return Submitted::Known;
			}
			self.started.fetch_add(1, Ordering::SeqCst);
			let behaviour = *self.behaviour.lock().unwrap();
			let outcome = Outcome {
				status: Status::Success,
				output: input.iter().rev().copied().collect(),
				fuel_used: limits.fuel / 2,
				executor_version: match behaviour {
					Behaviour::Version(v) => v,
					_ => EXECUTOR_VERSION,
				},
				fingerprint: polkadot_sdk::sp_io::hashing::blake2_256(input),
			};
			if behaviour == Behaviour::FailOnce && !self.failed.swap(true, Ordering::SeqCst) {
				runs.insert(run, (outcome, true));
				drop(runs);
				self.restart(); // a failure the node forgets once read
				return Submitted::Started;
			}
			runs.insert(run, (outcome, behaviour == Behaviour::Hang));
			Submitted::Started
		}

		fn submit_confidential(
			&self,
			run: RunId,
			code_hash: [u8; 32],
			code: &[u8],
			input: &[u8],
			limits: ExecutionLimits,
			seed: [u8; 32],
			confidential: bourse_primitives::sandbox::ConfidentialRun,
		) -> Submitted {
			// The node holds the secret of the key the seal names, as a member's node does.
			let Some(secret) =
				(0..64).map(member_secret).find(|secret| member_key_of(secret) == confidential.key)
			else {
				return Submitted::Busy;
			};
			let (plaintext, closer) = match confidential.open(&secret, code_hash, input) {
				Ok(opened) => opened,
				Err(_) => {
					self.abstained.lock().unwrap().insert(run, AbstainReason::BadSeal);
					return Submitted::Started;
				}
			};
			let limits =
				ExecutionLimits { max_output_bytes: closer.max_plain_output() as u32, ..limits };
			let submitted = self.submit(run, code_hash, code, &plaintext, limits, seed);
			self.plaintexts.lock().unwrap().push(plaintext);
			if let Some((outcome, _)) = self.runs.lock().unwrap().get_mut(&run) {
				*outcome = closer.close(outcome.clone()).unwrap();
			}
			submitted
		}

		fn poll(&self, run: RunId) -> RunState {
			if let Some(reason) = self.abstained.lock().unwrap().get(&run) {
				return RunState::Abstain(*reason);
			}
			match self.runs.lock().unwrap().get(&run) {
				None if self.failed.load(Ordering::SeqCst) && self.started() == 1 => {
					RunState::Failed
				}
				None => RunState::Unknown,
				Some((_, true)) => RunState::Running,
				Some((outcome, false)) => RunState::Finished(outcome.clone()),
			}
		}

		fn cancel(&self, run: RunId) {
			if self.runs.lock().unwrap().remove(&run).is_some() {
				self.cancelled.fetch_add(1, Ordering::SeqCst);
			}
		}

		fn offered_slots(&self, slots: u32) -> u32 {
			self.offered.store(slots, Ordering::SeqCst);
			2
		}

		fn encryption_keys(&self) -> Vec<[u8; 32]> {
			Vec::new()
		}
	}

	type Pool = Arc<parking_lot::RwLock<PoolState>>;

	/// Externalities with offchain storage and a transaction pool, with or without the
	/// stand-in sandbox.
	fn worker_ext(sandbox: bool) -> (polkadot_sdk::sp_io::TestExternalities, Pool, Arc<Stand>) {
		let (ext, pool, stand, _) = worker_ext_with_offchain(sandbox);
		(ext, pool, stand)
	}

	/// `worker_ext`, and the offchain state (its random seed, for one).
	fn worker_ext_with_offchain(
		sandbox: bool,
	) -> (
		polkadot_sdk::sp_io::TestExternalities,
		Pool,
		Arc<Stand>,
		Arc<parking_lot::RwLock<OffchainState>>,
	) {
		let mut ext = new_test_ext();
		let (offchain, offchain_state) = TestOffchainExt::new();
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		let stand = Arc::new(Stand {
			behaviour: Mutex::new(Behaviour::Instant),
			runs: Mutex::new(HashMap::new()),
			abstained: Mutex::new(HashMap::new()),
			plaintexts: Mutex::new(Vec::new()),
			started: AtomicU32::new(0),
			cancelled: AtomicU32::new(0),
			failed: AtomicBool::new(false),
			offered: AtomicU32::new(0),
		});
		if sandbox {
			ext.register_extension(bourse_primitives::sandbox::SandboxExt::new(stand.clone()));
		}
		(ext, pool_state, stand, offchain_state)
	}

	/// The calls the worker sent since the last block.
	fn sent(pool: &Pool) -> Vec<crate::Call<Test>> {
		pool.read()
			.transactions
			.iter()
			.map(|bytes| {
				let xt = Extrinsic::decode(&mut &bytes[..]).unwrap();
				let RuntimeCall::Attestation(call) = xt.function else { panic!("not an answer") };
				call
			})
			.collect()
	}

	/// Runs the worker, then puts what it sent into the block: each transaction is checked by
	/// `authorize` (the pool) and dispatched as authorized.
	fn worker_block(pool: &Pool) -> usize {
		<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
		let calls = sent(pool);
		pool.write().transactions.clear();
		for call in &calls {
			// Duplicates (the same answer sent again) are refused, as the pool would.
			let _ = crate::testing::apply::<Test>(call.clone());
			check_invariants();
		}
		next_block();
		calls.len()
	}

	/// The transaction pool's rule for transactions that provide the same tag, as
	/// `sc-transaction-pool` applies it: the newcomer replaces them only if its priority is
	/// above theirs together; else it is refused.
	#[derive(Default)]
	struct PoolModel {
		/// Each transaction's tags and priority.
		held: Vec<(Vec<Vec<u8>>, u64)>,
	}

	impl PoolModel {
		/// Offers each of `calls` to the pool, checked as the pool checks them.
		fn take(&mut self, calls: &[Call<Test>]) {
			use polkadot_sdk::sp_runtime::transaction_validity::TransactionSource::External;
			for call in calls {
				let Ok((valid, _)) = authorize_as(call, External) else { continue };
				let clashing: Vec<usize> = (0..self.held.len())
					.filter(|&i| self.held[i].0.iter().any(|tag| valid.provides.contains(tag)))
					.collect();
				let together: u64 = clashing.iter().map(|&i| self.held[i].1).sum();
				if !clashing.is_empty() && together >= valid.priority {
					continue; // refused: too low a priority
				}
				for i in clashing.into_iter().rev() {
					self.held.remove(i);
				}
				self.held.push((valid.provides, valid.priority));
			}
		}

		/// Whether a transaction in the pool answers `task` for `provider`.
		fn provides(&self, task: u64, provider: u64) -> bool {
			let tag = (task, provider, 0u8).encode();
			self.held.iter().any(|(tags, _)| tags.iter().any(|t| t.ends_with(&tag)))
		}

		/// Drops the transaction that answers `task` (for any provider).
		fn drop_tagged(&mut self, task: u64) {
			self.held
				.retain(|(tags, _)| !tags.iter().any(|t| t.ends_with(&(task, 1u64, 0u8).encode())));
		}

		fn len(&self) -> usize {
			self.held.len()
		}
	}

	/// Provider 1, whose key this node holds, is assigned task 0 (replication 1).
	fn one_task_for_a_local_provider() {
		UintAuthorityId::set_all_keys(vec![key(1)]);
		assign(0, &[1]);
	}

	#[test]
	fn on_its_own_block_the_author_answers_after_a_delay() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			let started = polkadot_sdk::sp_io::offchain::timestamp();
			AUTHORED_HERE.with(|a| a.set(true));
			assert_eq!(worker_block(&pool), 1, "answered in the same block");
			AUTHORED_HERE.with(|a| a.set(false));
			let waited = polkadot_sdk::sp_io::offchain::timestamp().diff(&started).millis();
			assert_eq!(waited, AUTHOR_ANSWER_DELAY, "after the delay");
			assert_eq!(stand.started(), 1);
			assert!(held(0).is_some());
		});
	}

	#[test]
	fn other_nodes_answer_without_delay() {
		let (mut ext, pool, _) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			let started = polkadot_sdk::sp_io::offchain::timestamp();
			assert_eq!(worker_block(&pool), 1);
			let waited = polkadot_sdk::sp_io::offchain::timestamp().diff(&started).millis();
			assert!(waited < AUTHOR_ANSWER_DELAY, "no author's delay, only polling: {waited} ms");
		});
	}

	#[test]
	fn a_task_of_replication_one_is_run_once_and_answered() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			assert_eq!(stand.started(), 1, "a second wake-up does not run it again");
			assert_eq!(pool.read().transactions.len(), 2, "the answer is sent until included");
			worker_block(&pool);
			let (answer, output) = held_output(0).expect("the answer is held, its box opens");
			assert_eq!(output, b"tupni".to_vec());
			assert_eq!(answer.fuel_used, FUEL / 2);
			assert_eq!(worker_block(&pool), 0, "nothing left to do");
			// A lone answer's record outlives the task's deadline by the held grace: the
			// answer's window, and an audit that may start after it.
			let records = || {
				polkadot_sdk::sp_runtime::offchain::storage::StorageValueRef::persistent(
					b"bourse/attestation/records",
				)
				.get::<Vec<(Vec<u8>, u32)>>()
				.unwrap()
				.unwrap_or_default()
			};
			assert_eq!(records().len(), 1);
			while System::block_number() <= 1 + TIMEOUT + 11 {
				worker_block(&pool);
			}
			assert_eq!(records().len(), 1, "kept for an audit");
			let expires = 1 + TIMEOUT + u64::from(crate::worker::HELD_RECORD_GRACE);
			while System::block_number() <= expires + 1 {
				worker_block(&pool);
			}
			assert!(records().is_empty(), "expired records are cleared");
			assert_eq!(stand.started(), 1);
		});
	}

	#[test]
	fn three_local_providers_commit_then_reveal_and_agree() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2), key(3)]);
			assign(0, &[1, 2, 3]);
			assert_eq!(worker_block(&pool), 3, "three commitments");
			assert_eq!(stand.started(), 3);
			assert_eq!(worker_block(&pool), 3, "three reveals");
			let decision = settled(0).expect("settled");
			assert!(decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::Agreed)));
			assert_eq!(stand.started(), 3, "each provider ran it once");
		});
	}

	/// Seen in a 4-validator testnet: a task assigned at the same height on two sibling forks
	/// was run on each, the commitment sent on the losing fork landed on the winning one, and
	/// the node revealed with the other fork's salt, so the honest provider was out-voted.
	#[test]
	fn a_commitment_sent_on_one_fork_is_revealed_on_its_sibling() {
		let (mut ext, pool, stand, offchain) = worker_ext_with_offchain(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2), key(3)]);
			assign(0, &[1, 2, 3]);
			let assigned_at = System::block_number();
			// Fork A: the worker runs the task and sends three commitments.
			<Attestation as Hooks<u64>>::offchain_worker(assigned_at);
			let commitments = sent(&pool);
			pool.write().transactions.clear();
			assert_eq!(commitments.len(), 3);
			// Fork B: the same height, the same task and providers, another block hash. The
			// worker runs there too; the pool then puts fork A's commitments into fork B.
			offchain.write().seed = [0xb; 32]; // a fresh salt, if the worker drew one
			polkadot_sdk::frame_system::BlockHash::<Test>::insert(
				assigned_at,
				polkadot_sdk::sp_core::H256::repeat_byte(0xb),
			);
			<Attestation as Hooks<u64>>::offchain_worker(assigned_at);
			pool.write().transactions.clear();
			for call in commitments {
				assert_eq!(crate::testing::apply::<Test>(call), Ok(()));
			}
			next_block();
			assert_eq!(worker_block(&pool), 3, "three reveals");
			let decision = settled(0).expect("settled");
			assert!(
				decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::Agreed)),
				"{:?}",
				decision.verdicts
			);
			assert_eq!(stand.started(), 3, "one run per provider for both forks");
		});
	}

	/// A node upgraded from spec 109 between its commitment and its reveal finds its record
	/// under the old key (the assigning block's hash) and reveals with that salt.
	#[test]
	fn a_record_stored_under_the_old_key_keeps_its_salt_after_the_upgrade() {
		use codec::Encode;
		use polkadot_sdk::sp_core::offchain::StorageKind;
		use polkadot_sdk::sp_io::offchain::{
			local_storage_clear, local_storage_get, local_storage_set,
		};
		let (mut ext, pool, stand, offchain) = worker_ext_with_offchain(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2), key(3)]);
			assign(0, &[1, 2, 3]);
			let assigned_at = System::block_number();
			let digest = Attestation::digest_of(0).unwrap();
			// The old worker: it ran the task, committed, and kept its records by block hash.
			<Attestation as Hooks<u64>>::offchain_worker(assigned_at);
			let commitments = sent(&pool);
			pool.write().transactions.clear();
			for p in [1u64, 2, 3] {
				let new = (b"bourse/attestation", 0u64, p, digest).encode();
				let old =
					(b"bourse/attestation", 0u64, p, System::block_hash(assigned_at)).encode();
				let record = local_storage_get(StorageKind::PERSISTENT, &new).unwrap();
				local_storage_set(StorageKind::PERSISTENT, &old, &record);
				local_storage_clear(StorageKind::PERSISTENT, &new);
			}
			stand.restart(); // the upgrade restarted the node
			offchain.write().seed = [0xc; 32]; // a fresh salt, if the worker drew one
			for call in commitments {
				assert_eq!(crate::testing::apply::<Test>(call), Ok(()));
			}
			next_block();
			assert_eq!(worker_block(&pool), 3, "three reveals");
			let decision = settled(0).expect("settled");
			assert!(decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::Agreed)));
			assert_eq!(stand.started(), 3, "not run again");
		});
	}

	#[test]
	fn four_tasks_of_one_block_start_at_once_and_answer_together() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1)]);
			stand.behave(Behaviour::Hang);
			for task in 0..4 {
				assign(task, &[1]);
			}
			assert_eq!(worker_block(&pool), 0, "nothing has ended");
			assert_eq!(stand.started(), 4, "all four started in the pass of their block");
			assert_eq!(stand.offered.load(Ordering::SeqCst), OFFERED_SLOTS, "slots reported");
			stand.release();
			assert_eq!(worker_block(&pool), 1, "four answers in one transaction");
			assert!((0..4).all(|task| held_output(task).is_some()));
			assert_eq!(stand.started(), 4, "none ran twice");
		});
	}

	/// An answer the pool would refuse in the next block (its deadline is this block) stays out
	/// of the bundle: it would sink the provider's other answers with it.
	#[test]
	fn an_answer_due_this_block_is_left_out_of_the_bundle() {
		let (mut ext, pool, _) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1)]);
			assign(0, &[1]);
			// Answered at once, but never included; its deadline comes.
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			assert_eq!(sent(&pool).len(), 1);
			pool.write().transactions.clear();
			for _ in 0..TIMEOUT {
				next_block();
			}
			assign(1, &[1]);
			assign(2, &[1]);
			assert_eq!(Attestation::digest_of(0).map(|_| ()), Some(()), "task 0 still open");
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			let calls = sent(&pool);
			let [Call::answer_many { answers, .. }] = &calls[..] else { panic!("{calls:?}") };
			assert_eq!(answers.iter().map(|a| a.task_id).collect::<Vec<_>>(), vec![1, 2]);
			pool.write().transactions.clear();
			next_block();
			assert!(
				authorize_as(
					&calls[0],
					polkadot_sdk::sp_runtime::transaction_validity::TransactionSource::External
				)
				.is_ok(),
				"the pool of the next block takes it"
			);
		});
	}

	#[test]
	fn a_node_sends_one_bundle_per_provider_and_the_next_pass_resends_what_is_owed() {
		let (mut ext, pool, _) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2)]);
			for task in 0..2 {
				assign(task, &[1]);
			}
			for task in 2..5 {
				assign(task, &[2]);
			}
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			let bundles = |calls: Vec<Call<Test>>| -> Vec<(u64, Vec<u64>)> {
				calls
					.into_iter()
					.map(|call| match call {
						Call::answer_many { provider, answers, .. } => {
							(provider, answers.iter().map(|a| a.task_id).collect())
						}
						other => panic!("not a bundle: {other:?}"),
					})
					.collect()
			};
			assert_eq!(bundles(sent(&pool)), vec![(1, vec![0, 1]), (2, vec![2, 3, 4])]);
			// The pool as the node's: a transaction that provides a tag another holds takes
			// its place only if it outranks the ones it would replace together.
			let mut model = PoolModel::default();
			model.take(&sent(&pool));
			pool.write().transactions.clear();
			let owed_in_pool = |model: &PoolModel, tasks: &[u64]| {
				tasks.iter().all(|t| model.provides(*t, 1) || model.provides(*t, 2))
			};
			// Not included, and tasks 5 and 6 came: the next pass sends again what the
			// providers owed (the pool keeps its copies), then, once the runs it started end,
			// all that provider 1 owes (which replaces its first bundle) and, apart, the
			// answers it never sent.
			assign(5, &[1]);
			assign(6, &[1]);
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			assert_eq!(
				bundles(sent(&pool)),
				vec![(1, vec![0, 1]), (2, vec![2, 3, 4]), (1, vec![0, 1, 5, 6]), (1, vec![5, 6])]
			);
			model.take(&sent(&pool));
			pool.write().transactions.clear();
			assert!(owed_in_pool(&model, &[0, 1, 2, 3, 4, 5, 6]));
			assert_eq!(model.len(), 2, "a bundle per provider in the pool");
			// Task 0's answer counted by another way (a second node with the key), before the
			// pool dropped the bundle that holds it; task 8 came. The bundle of all provider 1
			// owes ranks no higher than the stale one, but the answer it never sent goes apart.
			assert_eq!(crate::testing::apply::<Test>(answers_call(1, bundle(&[0]))), Ok(()));
			assign(8, &[1]);
			next_block();
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			model.take(&sent(&pool));
			pool.write().transactions.clear();
			assert!(owed_in_pool(&model, &[1, 2, 3, 4, 5, 6, 8]), "task 8 is not kept out");
			// The pool drops the stale bundle: the next pass puts all provider 1 owes back.
			model.drop_tagged(0);
			assert!(!owed_in_pool(&model, &[1, 5, 6]));
			next_block();
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			model.take(&sent(&pool));
			pool.write().transactions.clear();
			assert!(owed_in_pool(&model, &[1, 2, 3, 4, 5, 6, 8]), "nothing left out");
			assert_eq!(model.len(), 2);
			assert_eq!(worker_block(&pool), 2, "a bundle per provider, all it owes");
			assert!((0..9).filter(|&t| t != 7).all(|task| held(task).is_some()));
			check_invariants();
		});
	}

	#[test]
	fn a_run_that_outlives_its_windows_abstains_and_is_not_slashed() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			stand.behave(Behaviour::Hang);
			let deadline = System::block_number() + TIMEOUT;
			while settled(0).is_none() {
				let now = System::block_number();
				assert!(now <= deadline, "settled before its deadline");
				let calls = sent(&pool);
				worker_block(&pool);
				let abstained =
					sent_abstain(&calls) || settled(0).is_some_and(|d| d.result.is_err());
				assert_eq!(abstained, now + 2 >= deadline, "gives up two blocks early at {now}");
			}
			assert_eq!(stand.cancelled.load(Ordering::SeqCst), 1, "the run was stopped");
			let decision = settled(0).unwrap();
			assert_eq!(decision.result, Err(FailureReason::Abstained));
			assert_eq!(decision.verdicts, vec![(1, Some(Verdict::Abstained))]);
		});
	}

	fn sent_abstain(calls: &[crate::Call<Test>]) -> bool {
		calls.iter().any(|c| matches!(c, crate::Call::abstain { .. }))
	}

	#[test]
	fn a_replicated_run_that_misses_the_commit_window_abstains() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2), key(3)]);
			stand.behave(Behaviour::Hang);
			assign(0, &[1, 2, 3]);
			for _ in 0..COMMIT_WINDOW - 2 {
				assert_eq!(worker_block(&pool), 0, "still running, commits still open");
			}
			// Commits close after block assigned_at + COMMIT_WINDOW: an abstention sent two
			// blocks before still lands while they are open.
			assert_eq!(worker_block(&pool), 3, "three abstentions before commits close");
			let decision = settled(0).expect("settled once everyone abstained");
			assert!(decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::Abstained)));
		});
	}

	#[test]
	fn a_restarted_node_runs_its_task_again_within_the_windows() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			stand.behave(Behaviour::Hang);
			assert_eq!(worker_block(&pool), 0);
			stand.restart();
			stand.behave(Behaviour::Instant);
			assert_eq!(worker_block(&pool), 1, "submitted again and answered");
			assert_eq!(stand.started(), 2);
			assert_eq!(held_output(0).unwrap().1, b"tupni".to_vec());
		});
	}

	#[test]
	fn a_local_failure_is_retried_on_the_next_pass() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			stand.behave(Behaviour::FailOnce);
			assert_eq!(worker_block(&pool), 0, "failed; not retried in a tight loop");
			assert_eq!(stand.started(), 1);
			assert_eq!(worker_block(&pool), 1, "retried and answered on the next pass");
			assert_eq!(stand.started(), 2);
			assert_eq!(held_output(0).unwrap().1, b"tupni".to_vec());
		});
	}

	/// The reversed input, as the stand-in's runs output it.
	fn reversed(input: &[u8]) -> Vec<u8> {
		input.iter().rev().copied().collect()
	}

	/// Decrypts an output of confidential task `task` as its requester does.
	fn decrypt(task: u64, status: Status, fuel_used: u64, ciphertext: &[u8]) -> Vec<u8> {
		use bourse_primitives::confidential::{decrypt_output, OutputContext};
		let context = OutputContext {
			genesis: task_context(task).genesis,
			task_id: task,
			status,
			fuel_used,
			executor_version: EXECUTOR_VERSION,
		};
		decrypt_output(&TASK_SECRET, 0, &context, ciphertext, MAX_OUTPUT as usize).unwrap()
	}

	#[test]
	fn members_run_a_confidential_task_on_its_plaintext_and_reveal_only_ciphertext() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2), key(3)]);
			assign(0, &[1, 2, 3]);
			make_confidential(0, &[1, 2, 3]);
			assert_eq!(worker_block(&pool), 3, "three commitments");
			let ran = stand.plaintexts.lock().unwrap().clone();
			assert_eq!(ran, vec![INPUT.to_vec(); 3], "each member ran the plaintext input");
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			let calls = sent(&pool);
			assert_eq!(calls.len(), 3, "three reveals");
			let plain = reversed(INPUT);
			let mut ciphertexts = Vec::new();
			for call in &calls {
				let crate::Call::reveal { revealed, output, .. } = call else {
					panic!("not a reveal: {call:?}")
				};
				let encoded = call.encode();
				assert!(
					!encoded.windows(plain.len()).any(|w| w == plain.as_slice()),
					"no plaintext output in the reveal"
				);
				let digest = bourse_primitives::reply::output_digest(&plain);
				assert!(!encoded.windows(32).any(|w| w == digest), "no digest of it either");
				assert_eq!(
					revealed.output_hash,
					polkadot_sdk::sp_io::hashing::blake2_256(output),
					"the ciphertext is compared"
				);
				assert_eq!(decrypt(0, revealed.status, revealed.fuel_used, output), plain);
				ciphertexts.push(output.clone());
			}
			assert!(
				ciphertexts.windows(2).all(|w| w[0] == w[1]),
				"members agree on one ciphertext"
			);
			pool.write().transactions.clear();
			for call in calls {
				assert_eq!(crate::testing::apply::<Test>(call), Ok(()));
			}
			let decision = settled(0).expect("settled");
			assert!(decision.verdicts.iter().all(|(_, v)| *v == Some(Verdict::Agreed)));
			let mut committed = decision.committed.clone();
			committed.sort();
			assert_eq!(committed, vec![1, 2, 3], "in storage order: sorted to compare");
			assert_eq!(decision.revealed, vec![1, 2, 3], "in assignment order");
			let outcome = decision.result.unwrap();
			assert_eq!(ciphertexts[0], outcome.output, "the agreed output is the ciphertext");
		});
	}

	#[test]
	fn a_confidential_lone_answer_boxes_the_ciphertext_with_a_keyed_proof() {
		let (mut ext, pool, _stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			make_confidential(0, &[1]);
			assert_eq!(worker_block(&pool), 1);
			let (answer, output) = held_output(0).expect("the answer is held, its box opens");
			assert_eq!(decrypt(0, answer.status, answer.fuel_used, &output), reversed(INPUT));
			// The stand-in's public fingerprint is the input's hash: with the salt a claim
			// shows, anyone could check a guessed input against a proof made from it.
			let (_, _, sealed) = held(0).unwrap();
			let digest = held_digest(0).unwrap();
			let opened = bourse_primitives::reply::open(
				&crate::testing::REPLY_SECRET,
				&digest,
				&sealed,
				MAX_OUTPUT as usize,
			)
			.unwrap();
			let public = polkadot_sdk::sp_io::hashing::blake2_256(INPUT); // the stand-in's fingerprint
			let keyed =
				bourse_primitives::confidential::keyed_fingerprint(&TASK_SECRET, 0, &public);
			let proof = bourse_primitives::reply::execution_proof(&opened.salt, &keyed);
			assert_eq!(answer.proof, proof, "the proof is made from the keyed fingerprint");
		});
	}

	#[test]
	fn a_member_whose_input_does_not_decrypt_abstains() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			make_confidential(0, &[1]);
			// The seal opens, but the input was encrypted for another workload.
			set_confidential_input(0, {
				let mut context = task_context(0);
				context.workload = [0xee; 32];
				bourse_primitives::confidential::encrypt_input(
					&TASK_SECRET,
					&context,
					0,
					INPUT,
					MAX_INPUT as usize,
				)
				.unwrap()
			});
			abstains_without_running(&pool, &stand);
		});
	}

	#[test]
	fn a_member_whose_seal_does_not_open_abstains() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			make_confidential(0, &[1]);
			// The requester sealed another secret than the one it stored the hash of.
			set_confidential_secret(0, [0x01; 32]);
			abstains_without_running(&pool, &stand);
			assert_eq!(Abstentions::<Test>::get(0, 1), None, "forgotten once settled");
		});
	}

	/// Provider 1's node, on its confidential task 0, abstains and runs nothing.
	fn abstains_without_running(pool: &Pool, stand: &Stand) {
		worker_block(pool);
		let decision = settled(0).expect("settled by the abstention");
		assert_eq!(decision.verdicts, vec![(1, Some(Verdict::Abstained))]);
		assert!(stand.plaintexts.lock().unwrap().is_empty(), "nothing ran");
	}

	#[test]
	fn a_provider_outside_a_confidential_tasks_members_runs_nothing() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			make_confidential(0, &[2]);
			worker_block(&pool);
			assert_eq!(stand.started(), 0, "never run as a public task");
			assert!(held(0).is_none());
		});
	}

	#[test]
	fn a_node_whose_version_is_not_accepted_abstains() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			stand.behave(Behaviour::Version(EXECUTOR_VERSION + 1));
			let calls = {
				<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
				sent(&pool)
			};
			assert!(
				matches!(
					calls.as_slice(),
					[crate::Call::abstain { reason: AbstainReason::Version, .. }]
				),
				"abstains instead of answering"
			);
			pool.write().transactions.clear();
			worker_block(&pool);
			assert_eq!(settled(0).unwrap().verdicts, vec![(1, Some(Verdict::Abstained))]);
		});
	}

	#[test]
	fn without_a_sandbox_the_worker_reports_and_sends_nothing() {
		let (mut ext, pool, _) = worker_ext(false);
		ext.execute_with(|| {
			one_task_for_a_local_provider();
			<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
			assert!(pool.read().transactions.is_empty());
		});
	}

	#[test]
	fn the_provider_node_opens_its_answer_and_the_auditor_node_runs_blind_then_opens() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key(1), key(2)]);
			assign(0, &[1]);
			assert_eq!(worker_block(&pool), 1, "the lone answer");
			assert!(held(0).is_some());
			audit(0, 2);
			// The auditor's node runs the task and commits; the provider's waits for it.
			let calls = {
				<Attestation as Hooks<u64>>::offchain_worker(System::block_number());
				sent(&pool)
			};
			assert!(
				matches!(calls.as_slice(), [crate::Call::commit { provider: 2, .. }]),
				"only the auditor's commitment"
			);
			pool.write().transactions.clear();
			for call in calls {
				assert_eq!(crate::testing::apply::<Test>(call), Ok(()));
			}
			next_block();
			assert_eq!(stand.started(), 2, "the answer's run and the auditor's");
			// Both open; the same run agrees.
			assert_eq!(worker_block(&pool), 2);
			assert_eq!(audit_found(0), Some(crate::AuditFinding::Agreed { fuel: FUEL / 2 }));
		});
	}

	#[test]
	fn an_auditor_of_another_executor_version_abstains_before_committing() {
		let (mut ext, pool, stand) = worker_ext(true);
		ext.execute_with(|| {
			let other = EXECUTOR_VERSION + 1;
			AcceptedVersions::<Test>::put(polkadot_sdk::frame_support::BoundedVec::truncate_from(
				vec![EXECUTOR_VERSION, other],
			));
			UintAuthorityId::set_all_keys(vec![key(1), key(2)]);
			assign(0, &[1]);
			assert_eq!(worker_block(&pool), 1, "the lone answer");
			audit(0, 2);
			stand.behave(Behaviour::Version(other));
			worker_block(&pool);
			assert_eq!(audit_found(0), Some(crate::AuditFinding::AuditorAbstained));
		});
	}
}

/// Task 0 answered alone by provider 1 with `answered`, audited by 2 who opened `found`: the
/// audit disagrees, keeps both openings, and members 3, 4 and 5 sit as its committee.
fn disputed(answered: &[u8], found: &[u8]) {
	let provider = audited_answer(Status::Success, answered);
	let auditor = opening(Status::Success, found, 500, [9; 32]);
	assert_eq!(audit_commit(&auditor), Ok(()));
	assert_eq!(open(1, &provider), Ok(()));
	assert_eq!(open(2, &auditor), Ok(()));
	assert_eq!(audit_found(0), Some(crate::AuditFinding::Disagreed { fuel: 500 }));
	assert!(crate::Openings::<Test>::contains_key(0, 1), "kept for the committee");
	assert!(crate::Openings::<Test>::contains_key(0, 2), "kept for the committee");
	convene(0, [3, 4, 5]);
}

/// What committee member `who` opens of its run giving `output`: its opening, and its witness
/// keyed by the round's digest.
fn member(who: u64, output: &[u8]) -> (crate::Opening, [u8; 32]) {
	let digest = Attestation::digest_of(0).unwrap();
	let witness = bourse_primitives::reply::committee_witness(&digest, output);
	(opening(Status::Success, output, 500, [who as u8; 32]), witness)
}

/// Committee member `who` commits blind to `opening` with `witness`.
fn member_commit(who: u64, (opening, witness): &(crate::Opening, [u8; 32])) -> DispatchResult {
	let digest = Attestation::digest_of(0).unwrap();
	state(who, 0, who, Claim::Commit(opening.member_commitment(&digest, 0, &who, witness)), &[])
}

/// The box committee member `who` gives with its opening (attestation keeps it unopened).
fn box_of(who: u64) -> Vec<u8> {
	format!("the box of {who}").into_bytes()
}

/// Committee member `who` opens `opening` with `witness` and its box.
fn member_open(who: u64, (opening, witness): &(crate::Opening, [u8; 32])) -> DispatchResult {
	let sealed = box_of(who);
	let sealed_hash = hash(&sealed);
	let claim = Claim::OpenWitnessed { opening: opening.clone(), witness: *witness, sealed_hash };
	state(who, 0, who, claim, &sealed)
}

/// Each committee member commits blind to its opening and witness, then all open.
fn sit(openings: &[(u64, (crate::Opening, [u8; 32]))]) {
	for (m, o) in openings {
		assert_eq!(member_commit(*m, o), Ok(()));
	}
	for (m, o) in openings {
		assert_eq!(member_open(*m, o), Ok(()));
	}
}

#[test]
fn a_disputed_audit_goes_to_its_committee_which_commits_blind_then_opens() {
	use bourse_primitives::traits::{MemberPart::*, Upheld};
	test(|| {
		disputed(b"junk", b"out");
		let members = [3u64, 4, 5].map(|m| (m, member(m, b"out")));
		// The provider and the auditor are done: only members commit, then open.
		let digest = Attestation::digest_of(0).unwrap();
		let again = opening(Status::Success, b"out", 500, [9; 32]);
		assert_eq!(
			state(2, 0, 2, Claim::Commit(again.commitment(&digest, 0, &2u64)), &[]),
			Err(Error::<Test>::NotAuditor.into())
		);
		assert_eq!(open(2, &again), Err(Error::<Test>::AlreadyAnswered.into()));
		assert_eq!(member_commit(3, &members[0].1), Ok(()));
		assert_eq!(member_commit(3, &members[0].1), Err(Error::<Test>::AlreadyAnswered.into()));
		assert_eq!(member_open(3, &members[0].1), Err(Error::<Test>::RevealsNotOpen.into()));
		assert_eq!(member_open(4, &members[1].1), Err(Error::<Test>::NoCommitment.into()));
		assert_eq!(member_commit(4, &members[1].1), Ok(()));
		assert_eq!(member_commit(5, &members[2].1), Ok(()));
		// Each opens what it committed to, with its witness (and a member only so).
		assert_eq!(open(3, &members[0].1 .0), Err(Error::<Test>::WrongOpening.into()));
		let other_witness = (members[0].1 .0.clone(), [1; 32]);
		assert_eq!(member_open(3, &other_witness), Err(Error::<Test>::CommitmentMismatch.into()));
		for (m, o) in &members[..2] {
			assert_eq!(member_open(*m, o), Ok(()));
		}
		assert_eq!(judged(0), None, "member 5 committed: it may still open");
		assert_eq!(member_open(5, &members[2].1), Ok(()));
		let judgement = judged(0).unwrap();
		assert_eq!(judgement.upheld, Upheld::Auditor);
		let fuel = 500;
		assert_eq!(
			judgement.members,
			vec![(3, Majority { fuel }), (4, Majority { fuel }), (5, Majority { fuel })]
		);
		assert_eq!(judgement.delivered, Some((3, Status::Success, fuel, box_of(3))));
		assert!(crate::Openings::<Test>::iter().next().is_none(), "forgotten");
		assert!(crate::Witnesses::<Test>::iter().next().is_none());
		assert!(crate::MemberBoxes::<Test>::iter().next().is_none());
		assert!(Commitments::<Test>::iter().next().is_none());
	});
}

#[test]
fn a_members_statement_for_another_forks_committee_is_refused() {
	test(|| {
		disputed(b"junk", b"out");
		// Member 3's node signed for a committee drawn on a sibling fork (3, 4 and 6): the
		// round's digest differs, so the signature is no proof here.
		let task_digest = crate::mock::task_digest(0);
		let sibling = bourse_primitives::reply::committee_digest(&task_digest, &[3u64, 4, 6]);
		let (opening, witness) = member(3, b"out");
		let statement = crate::Statement {
			task_id: 0,
			provider: 3,
			claim: Claim::Commit(opening.member_commitment(&sibling, 0, &3u64, &witness)),
		};
		let call = Attestation::signed_call(&sibling, statement, Vec::new(), &key(3)).unwrap();
		assert_eq!(crate::testing::apply::<Test>(call), Err(Error::<Test>::BadSignature.into()));
		// The same committee in another order is the same round.
		let reordered = bourse_primitives::reply::committee_digest(&task_digest, &[5u64, 3, 4]);
		assert_eq!(reordered, Attestation::digest_of(0).unwrap());
	});
}

#[test]
fn copies_of_the_public_openings_count_for_nothing() {
	use bourse_primitives::traits::{MemberPart::*, Upheld};
	test(|| {
		// The provider answered honestly, a lying auditor disputes it. Two lazy members copy
		// the auditor's public opening, each with a witness of its own making (neither knows
		// the output keyed by this committee); one runs the task.
		disputed(b"out", b"junk");
		let copy = |m: u64| (opening(Status::Success, b"junk", 500, [m as u8; 32]), [m as u8; 32]);
		let openings = [(3, copy(3)), (4, copy(4)), (5, member(5, b"out"))];
		sit(&openings);
		// No majority: the honest provider is not found wrong on copies' word.
		let judgement = judged(0).unwrap();
		assert_eq!(judgement.upheld, Upheld::NoMajority);
		assert_eq!(judgement.members, vec![(3, Minority), (4, Minority), (5, Minority)]);
	});
	test(|| {
		// With two members that ran it, the copier is out-voted.
		disputed(b"out", b"junk");
		let copier = (opening(Status::Success, b"junk", 500, [3; 32]), [3; 32]);
		let openings = [(3, copier), (4, member(4, b"out")), (5, member(5, b"out"))];
		sit(&openings);
		let judgement = judged(0).unwrap();
		assert_eq!(judgement.upheld, Upheld::Provider);
		let fuel = 500;
		assert_eq!(
			judgement.members,
			vec![(3, Minority), (4, Majority { fuel }), (5, Majority { fuel })]
		);
	});
	test(|| {
		// Two lazy members that agree on a made-up witness and copy the right side form a
		// majority; the member that ran it opened the same outcome under the true witness:
		// it is unwitnessed, not out-voted (the task pallet treats it as silent).
		disputed(b"junk", b"out");
		let copy = |m: u64| (opening(Status::Success, b"out", 500, [m as u8; 32]), [7; 32]);
		let openings = [(3, copy(3)), (4, copy(4)), (5, member(5, b"out"))];
		sit(&openings);
		let judgement = judged(0).unwrap();
		assert_eq!(judgement.upheld, Upheld::Auditor);
		let fuel = 500;
		assert_eq!(
			judgement.members,
			vec![(3, Majority { fuel }), (4, Majority { fuel }), (5, Unwitnessed)]
		);
	});
}

#[test]
fn a_member_of_another_executor_version_is_not_counted_nor_a_third_outcome() {
	use bourse_primitives::traits::{MemberPart::*, Upheld};
	test(|| {
		disputed(b"out", b"junk");
		// Members 4 and 5 run a newer executor that the chain also accepts: their outcome
		// is not comparable with the disputed ones, so it cannot out-vote both parties.
		let versions = vec![EXECUTOR_VERSION, EXECUTOR_VERSION + 1];
		AcceptedVersions::<Test>::put(crate::mock::bounded_versions(versions));
		let newer = |m: u64| {
			let (o, w) = member(m, b"new");
			(crate::Opening { executor_version: EXECUTOR_VERSION + 1, ..o }, w)
		};
		let openings = [(3, member(3, b"out")), (4, newer(4)), (5, newer(5))];
		sit(&openings);
		let judgement = judged(0).unwrap();
		assert_eq!(judgement.upheld, Upheld::NoMajority);
		assert_eq!(judgement.members, vec![(3, Minority), (4, Abstained), (5, Abstained)]);
	});
}

#[test]
fn at_its_deadline_a_committee_finds_who_withheld_and_who_was_silent() {
	use bourse_primitives::traits::{MemberPart::*, Upheld};
	let judge = || {
		let audit = crate::mock::FakeTasks::audit_round(0);
		let (judgement, _) = <Attestation as TaskJudge<u64>>::judge_committee(0, &audit);
		assert!(crate::Openings::<Test>::iter().next().is_none(), "forgotten");
		check_invariants();
		judgement
	};
	test(|| {
		disputed(b"junk", b"out");
		for m in [3, 4] {
			assert_eq!(member_commit(m, &member(m, b"out")), Ok(()));
		}
		assert_eq!(member_open(3, &member(3, b"out")), Err(Error::<Test>::RevealsNotOpen.into()));
		for _ in 0..=COMMIT_WINDOW {
			next_block();
		}
		assert_eq!(member_open(3, &member(3, b"out")), Ok(()), "commits closed on the silent 5");
		let judgement = judge();
		assert_eq!(judgement.upheld, Upheld::NoMajority);
		assert_eq!(judgement.members, vec![(3, Minority), (4, Withheld), (5, Silent)]);
	});
	test(|| {
		disputed(b"junk", b"out");
		assert_eq!(member_commit(3, &member(3, b"out")), Ok(()));
		assert_eq!(member_commit(4, &member(4, b"out")), Ok(()));
		let abstain = Claim::Abstain(AbstainReason::Memory);
		assert_eq!(state(5, 0, 5, abstain, &[]), Ok(()));
		// Everyone committed or abstained: openings are open.
		assert_eq!(member_open(3, &member(3, b"out")), Ok(()));
		assert_eq!(member_open(4, &member(4, b"out")), Ok(()));
		let judgement = judged(0).unwrap();
		assert_eq!(judgement.upheld, Upheld::Auditor);
		let fuel = 500;
		assert_eq!(
			judgement.members,
			vec![(3, Majority { fuel }), (4, Majority { fuel }), (5, Abstained)]
		);
	});
}
